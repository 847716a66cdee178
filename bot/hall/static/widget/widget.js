/*
 * OneTrip 一次办 web widget. Plain JavaScript, no build step. Embed with one line:
 *
 *   <script src="https://HALL/widget.js" data-server="https://RASA" data-title="一次办智能助手"
 *           data-open="true"></script>
 *
 * It talks to Rasa's socket.io channel (bot.channels.socketio.SocketIOInput): `session_request`
 * with the session id kept in localStorage, `user_uttered` {message, session_id}, `bot_uttered`
 * {text, quick_replies, custom, timestamp}. The conversation is kept in localStorage too, so a
 * reload shows it again. Nothing a citizen, the bot or staff send is ever parsed as HTML: the
 * DOM is built with createElement/textContent, and the only link is a card's http(s) URL.
 * No inline script or style attribute, no eval: it runs under a strict Content-Security-Policy.
 *
 * 适老化 and accessibility: 长辈模式 (elder mode: larger text, 7:1 contrast, 48 px buttons, shorter
 * answers, no animation; remembered in localStorage), 语音播报 on each bot message where the
 * browser has a Chinese voice, voice input where it has speech recognition, new bot messages
 * announced (role=log, aria-live). Photos and PDFs (button or paste) go to POST /widget/attachments
 * (bot/hall/widget_upload.py); a staff member answering is shown in a banner (custom.human).
 * See docs/widget.md for the options.
 */
(function () {
  "use strict";
  if (window.OneTripWidget) { return; }

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all[all.length - 1];
  })();
  var data = (script && script.dataset) || {};
  var HALL = script ? new URL(script.src, location.href).origin : location.origin;
  var cfg = {
    server: (data.server || location.origin).replace(/\/+$/, ""),
    title: data.title || "一次办智能助手",
    open: data.open === "true",
    socketPath: data.socketPath || "/socket.io",
    key: data.storageKey || "onetrip",
    greeting: data.greeting || "您好，我是一次办智能助手。您遇到什么事、想办什么手续，直接用自己的话说就行，" +
      "比如“身份证快过期了”“公积金能交房租吗”“我家虾苗死了好多”。",
    placeholder: data.placeholder || "请输入您的问题，按回车发送",
  };
  var MAX_ENTRIES = 300;
  var MAX_CHARS = 500;
  var REPLY_TIMEOUT = 15000; // no reply within 15 s: say so, with the 12345 hotline
  var NO_REPLY = "抱歉，暂时没有收到智能助手的回复。请稍后再试一次，或拨打 12345 政务服务热线咨询。";
  var ACCEPT = "image/jpeg,image/png,image/webp,application/pdf";
  var ELDER_SHORT = 80; // elder mode: a longer text shows its first part, the rest behind "更多"

  var HUMAN = { title: "转人工", payload: "/human_handoff" };
  var STARS = { "5": 5, "4": 4, "3": 3, "2": 2, "1": 1 };

  /* ---------- storage (localStorage may be unavailable: then the widget just forgets) ---------- */
  var store = {
    get: function (name, fallback) {
      try {
        var raw = window.localStorage.getItem(cfg.key + "." + name);
        return raw === null ? fallback : JSON.parse(raw);
      } catch (e) { return fallback; }
    },
    set: function (name, value) {
      try { window.localStorage.setItem(cfg.key + "." + name, JSON.stringify(value)); } catch (e) { /* full or off */ }
    },
    remove: function (name) {
      try { window.localStorage.removeItem(cfg.key + "." + name); } catch (e) { /* off */ }
    },
  };

  var sessionId = store.get("session", null);
  var confirmed = false;
  var transcript = sessionId ? store.get("transcript." + sessionId, []) : [];
  var queue = [];
  var socket = null;
  var replyTimer = null;
  var elder = !!store.get("elder", false);
  var human = null; // {department_name, staff_name} while staff answer this conversation

  function saveTranscript() {
    if (!sessionId) { return; }
    if (transcript.length > MAX_ENTRIES) { transcript = transcript.slice(-MAX_ENTRIES); }
    store.set("transcript." + sessionId, transcript);
  }

  /* ---------- DOM helpers: text only, never innerHTML ---------- */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) { return; }
        if (name === "text") { node.textContent = String(value); }
        else if (name === "className") { node.className = value; }
        else if (name.slice(0, 2) === "on") { node.addEventListener(name.slice(2), value); }
        else { node.setAttribute(name, value === true ? "" : String(value)); }
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function svg(path) {
    var ns = "http://www.w3.org/2000/svg";
    var s = document.createElementNS(ns, "svg");
    s.setAttribute("viewBox", "0 0 24 24");
    s.setAttribute("aria-hidden", "true");
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    s.appendChild(p);
    return s;
  }

  function isHttpUrl(value) {
    if (typeof value !== "string") { return false; }
    try {
      var url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:";
    } catch (e) { return false; }
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function timeLabel(ms) {
    var d = new Date(ms);
    var now = new Date();
    var hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
    if (d.toDateString() === now.toDateString()) { return hm; }
    return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + hm;
  }
  function timeEl(ms) {
    return el("time", { className: "ot-time", datetime: new Date(ms).toISOString(), text: timeLabel(ms) });
  }

  /* ---------- the widget's frame (in a shadow root, so page CSS and widget CSS stay apart) ---------- */
  var host = el("div", { id: "onetrip-widget", lang: "zh-CN" });
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  shadow.appendChild(el("link", { rel: "stylesheet", href: HALL + "/widget/widget.css" }));
  var root = el("div", { className: "ot-root", lang: "zh-CN" });
  shadow.appendChild(root);

  var launcher = el("button", {
    className: "ot-launcher", type: "button", "aria-expanded": "false", "aria-controls": "ot-panel",
    "aria-label": "打开" + cfg.title, onclick: function () { setOpen(true); },
  }, [svg("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z"),
    el("span", { text: "在线咨询" })]);

  var status = el("div", { className: "ot-status", "data-state": "connecting", text: "正在连接…" });
  var titleId = "ot-title";
  var log = el("div", { className: "ot-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-labelledby": titleId, tabindex: "0" });
  var typing = el("div", { className: "ot-typing", hidden: true }, [
    el("span", { "aria-hidden": "true" }), el("span", { "aria-hidden": "true" }), el("span", { "aria-hidden": "true" }),
    el("span", { className: "ot-sr", text: "智能助手正在输入…" }),
  ]);
  var input = el("textarea", {
    className: "ot-input", rows: "1", maxlength: String(MAX_CHARS), placeholder: cfg.placeholder,
    "aria-label": "输入您的问题", autocomplete: "off", enterkeyhint: "send",
  });
  var sendButton = el("button", { className: "ot-send", type: "submit", text: "发送", "aria-label": "发送消息" });
  var fileInput = el("input", { type: "file", accept: ACCEPT, className: "ot-sr", tabindex: "-1", "aria-label": "选择图片或PDF文件" });
  var attachButton = el("button", {
    className: "ot-iconbtn ot-attach", type: "button", "aria-label": "发送图片或PDF文件（不超过10MB）",
    title: "发送图片或PDF", onclick: function () { fileInput.click(); },
  }, [svg("M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z")]);
  var micButton = el("button", {
    className: "ot-iconbtn ot-mic", type: "button", "aria-label": "语音输入", "aria-pressed": "false",
    title: "语音输入", hidden: true, onclick: function () { toggleListening(); },
  }, [svg("M12 15a3 3 0 0 0 3-3V6a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.93V22h2v-3.07A7 7 0 0 0 19 12z")]);
  var form = el("form", { className: "ot-form-row", onsubmit: function (event) {
    event.preventDefault();
    submitInput();
  } }, [attachButton, micButton, input, sendButton, fileInput]);
  var elderButton = el("button", {
    className: "ot-elderbtn", type: "button", "aria-pressed": elder ? "true" : "false",
    title: "大字、高对比、简短回答", onclick: function () { setElder(!elder); },
  }, [el("span", { className: "ot-switch", "aria-hidden": "true" }), el("span", { text: "长辈模式" })]);
  var humanBanner = el("div", { className: "ot-humanbar", role: "status", hidden: true });
  var notice = el("div", { className: "ot-sr", role: "status", "aria-live": "polite" });
  var humanButton = el("button", {
    className: "ot-tool ot-human", type: "button", text: "转人工", "aria-label": "转人工：请工作人员接手对话",
    onclick: function () { send(HUMAN.payload, HUMAN.title); },
  });
  var newButton = el("button", {
    className: "ot-iconbtn", type: "button", text: "新对话", "aria-label": "开始新对话（清除本机保存的聊天记录）",
    onclick: function () {
      if (window.confirm("开始新对话？本机保存的聊天记录会被清除。")) { reset(); }
    },
  });
  var closeButton = el("button", {
    className: "ot-iconbtn", type: "button", text: "✕", "aria-label": "收起对话窗口",
    onclick: function () { setOpen(false); },
  });
  var panel = el("section", { className: "ot-panel", id: "ot-panel", role: "region", "aria-labelledby": titleId, hidden: true }, [
    el("header", { className: "ot-head" }, [
      el("div", { className: "ot-logo", "aria-hidden": "true", text: "办" }),
      el("div", { className: "ot-titles" }, [el("h2", { className: "ot-title", id: titleId, text: cfg.title }), status]),
      elderButton, newButton, closeButton,
    ]),
    humanBanner,
    log,
    notice,
    el("div", { className: "ot-typingwrap" }, [typing]),
    el("div", { className: "ot-tools", role: "group", "aria-label": "快捷操作" }, [
      humanButton,
      el("button", { className: "ot-tool", type: "button", text: "查工单", onclick: function () { send("我的工单怎么样了", "查工单"); } }),
    ]),
    form,
    el("div", { className: "ot-foot", text: "浙江政务服务 · 最多跑一次 · 对话内容仅用于为您办事" }),
  ]);
  root.appendChild(launcher);
  root.appendChild(panel);
  root.classList.toggle("ot-elder", elder);

  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition does neither.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submitInput();
    }
  });
  input.addEventListener("input", function () {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 240) + "px";
  });
  // A photo or PDF pasted into the box is sent like one chosen with the button.
  input.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) {
      event.preventDefault();
      Array.prototype.forEach.call(files, upload);
    }
  });
  fileInput.addEventListener("change", function () {
    Array.prototype.forEach.call(fileInput.files || [], upload);
    fileInput.value = "";
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { setOpen(false); }
  });

  function setOpen(open, quiet) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (!quiet) { store.set("open", open); }
    if (open) {
      connect();
      scrollDown();
    }
    if (!quiet) { (open ? input : launcher).focus({ preventScroll: true }); }
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function setStatus(state, text) {
    status.setAttribute("data-state", state);
    status.textContent = text;
  }

  function showTyping(on) {
    // While staff answer, nobody "types" for them: no dots and no 15-second promise.
    clearTimeout(replyTimer);
    typing.hidden = !on || !!human;
    if (on && !human) {
      replyTimer = setTimeout(function () {
        typing.hidden = true;
        add({ who: "system", text: NO_REPLY, ts: Date.now(), timeout: true });
      }, REPLY_TIMEOUT);
    }
    scrollDown();
  }

  function announce(text) {
    notice.textContent = "";
    setTimeout(function () { notice.textContent = text; }, 50);
  }

  /* ---------- 长辈模式 ---------- */
  function setElder(on) {
    elder = !!on;
    store.set("elder", elder);
    root.classList.toggle("ot-elder", elder);
    elderButton.setAttribute("aria-pressed", elder ? "true" : "false");
    renderAll();
    announce(elder ? "已开启长辈模式：大字、简短回答" : "已关闭长辈模式");
  }

  /* ---------- human mode: who is answering ---------- */
  function setHuman(value) {
    human = value && typeof value === "object" ? {
      department_name: String(value.department_name || ""), staff_name: String(value.staff_name || ""),
    } : null;
    humanBanner.hidden = !human;
    var names = human ? (human.staff_name.indexOf(human.department_name) === 0 ? [human.staff_name]
      : [human.department_name, human.staff_name]) : [];
    humanBanner.textContent = human ? "正在为您服务：" + names.filter(Boolean).join(" ") : "";
    if (human) { clearTimeout(replyTimer); typing.hidden = true; }
  }

  /* ---------- 语音播报 and voice input, only where the browser can ---------- */
  var synth = window.speechSynthesis || null;
  var zhVoice = null;
  function pickVoice() {
    if (!synth || typeof synth.getVoices !== "function") { return; }
    var voices = synth.getVoices() || [];
    zhVoice = voices.filter(function (v) { return /^zh([-_]CN)?/i.test(v.lang || ""); })
      .sort(function (a, b) { return (/CN/i.test(b.lang) ? 1 : 0) - (/CN/i.test(a.lang) ? 1 : 0); })[0] ||
      voices.filter(function (v) { return /^(zh|cmn)/i.test(v.lang || ""); })[0] || null;
    root.classList.toggle("ot-can-speak", !!zhVoice);
  }
  if (synth) {
    pickVoice();
    if (typeof synth.addEventListener === "function") { synth.addEventListener("voiceschanged", pickVoice); }
  }
  var speaking = null;
  function speak(text, button) {
    if (!synth || !zhVoice) { return; }
    var again = speaking === button;
    synth.cancel();
    if (speaking) { speaking.setAttribute("aria-pressed", "false"); speaking = null; }
    if (again) { return; } // a second press stops
    var u = new window.SpeechSynthesisUtterance(text);
    u.voice = zhVoice;
    u.lang = zhVoice.lang || "zh-CN";
    u.rate = elder ? 0.85 : 1;
    u.onend = u.onerror = function () { button.setAttribute("aria-pressed", "false"); if (speaking === button) { speaking = null; } };
    speaking = button;
    button.setAttribute("aria-pressed", "true");
    synth.speak(u);
  }
  function spokenText(item) {
    var parts = [];
    item.querySelectorAll(".ot-bubble, .ot-card-name, .ot-card-dept, .ot-materials li, .ot-facts, .ot-ticket").forEach(function (n) {
      parts.push(n.textContent);
    });
    return parts.join("。").replace(/\s+/g, " ").trim();
  }

  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition || null;
  var listening = null;
  micButton.hidden = !Recognition;
  function toggleListening() {
    if (!Recognition) { return; }
    if (listening) { listening.stop(); return; }
    var rec;
    try { rec = new Recognition(); } catch (e) { micButton.hidden = true; return; }
    rec.lang = "zh-CN";
    rec.interimResults = false;
    rec.maxAlternatives = 1;
    rec.onresult = function (event) {
      var said = event.results && event.results[0] && event.results[0][0] ? event.results[0][0].transcript : "";
      if (said) { input.value = (input.value ? input.value + " " : "") + said; input.focus(); }
    };
    rec.onerror = function (event) {
      if (event && (event.error === "not-allowed" || event.error === "service-not-allowed" || event.error === "network")) {
        micButton.hidden = true; // this browser cannot after all
        announce("语音输入不可用，请用键盘输入");
      }
    };
    rec.onend = function () { listening = null; micButton.setAttribute("aria-pressed", "false"); micButton.setAttribute("aria-label", "语音输入"); };
    listening = rec;
    micButton.setAttribute("aria-pressed", "true");
    micButton.setAttribute("aria-label", "正在听，请说话；再按一次结束");
    rec.start();
  }

  /* ---------- rendering one entry of the transcript ---------- */
  function render(entry, index) {
    var custom = entry.custom && typeof entry.custom === "object" ? entry.custom : {};
    if (Object.prototype.hasOwnProperty.call(custom, "human")) { setHuman(custom.human); }
    if (entry.who === "system") { return renderNote(entry); }
    if (entry.file) { return renderFile(entry); }
    var text = typeof entry.text === "string" ? entry.text : "";
    // A staff reply is "【who】text" (utter_staff_message) with custom.human naming who answers.
    var staffLabel = null;
    if (entry.who === "bot" && text.charAt(0) === "【" && text.indexOf("】") > 1 &&
        ((custom.human && typeof custom.human === "object") || text.indexOf("【工作人员】") === 0)) {
      staffLabel = text.slice(1, text.indexOf("】"));
      text = text.slice(text.indexOf("】") + 1);
    }
    var staff = staffLabel !== null;
    var kind = entry.who === "user" ? "ot-user" : staff ? "ot-staff" : "ot-bot";
    var item = el("div", { className: "ot-msg " + kind + (entry.welcome ? " ot-welcome" : "") });
    var who = entry.who === "user" ? "我" : staff ? staffLabel : "智能助手";
    item.appendChild(el("span", { className: entry.who === "user" ? "ot-sr" : "ot-who", text: who + (entry.who === "user" ? "说：" : "") }));
    var hasCard = custom.card && typeof custom.card === "object";
    var folded = text && hasCard && (custom.aspect === "overview" || custom.aspect === "materials") &&
      text.indexOf("【" + custom.card.name + "】") === 0;
    if (text && !folded) { item.appendChild(bubble(text, entry.who !== "user")); }
    if (hasCard) { item.appendChild(card(custom.card, entry)); }
    if (folded && elder) {
      item.appendChild(more([el("div", { className: "ot-bubble", text: text })], "更多：文字说明（含办理地点、注意事项）"));
    } else if (folded) {
      // The card shows the same guide: the full wording stays one click away.
      item.appendChild(el("details", { className: "ot-bubble ot-fulltext" }, [
        el("summary", { text: "查看文字说明（含办理地点、注意事项）" }), el("div", { text: text }),
      ]));
    }
    if (custom.ticket && typeof custom.ticket === "string") { item.appendChild(ticket(custom)); }
    var replies = Array.isArray(entry.quick_replies) ? entry.quick_replies : [];
    if (replies.length) { item.appendChild(choices(replies, custom, entry)); }
    var foot = el("div", { className: "ot-msgfoot" }, [entry.ts ? timeEl(entry.ts) : null]);
    if (entry.who !== "user") {
      var speakButton = el("button", {
        className: "ot-speak", type: "button", "aria-pressed": "false", "aria-label": "语音播报这条消息",
        onclick: function () { speak(spokenText(item), speakButton); },
      }, [svg("M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 7.97v8.05A4.47 4.47 0 0 0 16.5 12zM14 3.23v2.06a7 7 0 0 1 0 13.42v2.06a9 9 0 0 0 0-17.54z"),
        el("span", { text: "播报" })]);
      foot.appendChild(speakButton);
    }
    if (foot.childNodes.length) { item.appendChild(foot); }
    log.appendChild(item);
    return item;
  }

  // Elder mode: a long text shows its first part; the rest is one press away ("更多").
  function bubble(text, shorten) {
    if (!elder || !shorten || text.length <= ELDER_SHORT) { return el("div", { className: "ot-bubble", text: text }); }
    var cut = text.indexOf("\n", 20);
    if (cut < 0 || cut > ELDER_SHORT) {
      var stop = text.slice(0, ELDER_SHORT).search(/[。！？；][^。！？；]*$/);
      cut = stop > 20 ? stop + 1 : ELDER_SHORT;
    }
    return el("div", { className: "ot-bubble" }, [
      el("div", { text: text.slice(0, cut).trim() }),
      more([el("div", { className: "ot-moretext", text: text.slice(cut).trim() })], "更多"),
    ]);
  }

  function more(children, label) {
    return el("details", { className: "ot-more" }, [el("summary", { text: label || "更多" })].concat(children));
  }

  function renderNote(entry) {
    var item = el("div", { className: "ot-msg ot-note" + (entry.timeout ? " ot-timeout" : "") }, [
      el("span", { className: "ot-sr", text: "提示：" }),
      el("div", { className: "ot-bubble", text: String(entry.text || "") }),
    ]);
    log.appendChild(item);
    return item;
  }

  function renderFile(entry) {
    var f = entry.file || {};
    var state = el("div", { className: "ot-filestate" });
    var item = el("div", { className: "ot-msg ot-user ot-filemsg" }, [
      el("span", { className: "ot-sr", text: "我发送了文件：" }),
      el("div", { className: "ot-bubble ot-file" }, [
        svg("M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8l-6-6zm0 1.5L18.5 8H14V3.5z"),
        el("span", { className: "ot-filename", text: String(f.name || "文件") }),
        el("span", { className: "ot-filesize", text: sizeLabel(f.size) }),
      ]),
      state,
    ]);
    fileState(entry, state);
    if (entry.ts) { item.appendChild(el("div", { className: "ot-msgfoot" }, [timeEl(entry.ts)])); }
    log.appendChild(item);
    return item;
  }

  function fileState(entry, node) {
    node.textContent = "";
    node.className = "ot-filestate ot-" + (entry.state || "sent");
    if (entry.state === "uploading") {
      var bar = el("progress", { max: "100", value: String(entry.progress || 0), "aria-label": "上传进度" });
      node.appendChild(bar);
      node.appendChild(el("span", { className: "ot-pct", text: (entry.progress || 0) + "%" }));
    } else if (entry.state === "error") {
      node.setAttribute("role", "alert");
      node.appendChild(el("span", { text: "未发送：" + (entry.error || "上传失败，请稍后重试") }));
    } else if (entry.state === "interrupted") {
      node.appendChild(el("span", { text: "上传中断，请重新发送" }));
    } else {
      node.appendChild(el("span", { text: "已发送给工作人员" }));
    }
  }

  function sizeLabel(n) {
    if (typeof n !== "number") { return ""; }
    return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(n / 1024)) + " KB";
  }

  /* ---------- photos and PDFs: POST /widget/attachments (bot/hall/widget_upload.py) ---------- */
  function upload(file) {
    if (!file) { return; }
    var entry = { who: "user", file: { name: String(file.name || "粘贴的图片"), size: file.size }, state: "uploading", progress: 0, ts: Date.now() };
    transcript.push(entry);
    var item = renderFile(entry);
    var stateNode = item.querySelector(".ot-filestate");
    scrollDown();
    function done(state, error) {
      entry.state = state;
      if (error) { entry.error = error; }
      delete entry.progress;
      fileState(entry, stateNode);
      saveTranscript();
      announce(state === "sent" ? "文件已发送" : "文件未发送：" + (error || ""));
      scrollDown();
    }
    if (!sessionId) { done("error", "请先说明您的问题，提交工单或转人工后再发送图片或文件"); return; }
    var body = new window.FormData();
    body.append("session", sessionId);
    body.append("file", file, entry.file.name);
    var xhr = new window.XMLHttpRequest();
    xhr.open("POST", HALL + "/widget/attachments");
    xhr.responseType = "text";
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) { return; }
      entry.progress = Math.min(99, Math.round(100 * event.loaded / event.total));
      var bar = stateNode.querySelector("progress");
      if (bar) { bar.value = entry.progress; stateNode.querySelector(".ot-pct").textContent = entry.progress + "%"; }
    });
    xhr.addEventListener("load", function () {
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
      if (xhr.status === 201) { done("sent"); return; }
      var detail = answer && typeof answer.detail === "string" ? answer.detail : null;
      done("error", detail || (xhr.status === 413 ? "文件超过10MB" : "上传失败（" + xhr.status + "），请稍后重试"));
    });
    xhr.addEventListener("error", function () { done("error", "网络异常，上传失败，请稍后重试"); });
    xhr.send(body);
  }

  function card(c, entry) {
    var name = String(c.name || "");
    var zero = c.visits === 0 || c.badge === "跑零次";
    var box = el("article", { className: "ot-card", "aria-label": "办事指南：" + name }, [
      el("div", { className: "ot-card-head" }, [
        el("h3", { className: "ot-card-name", text: name }),
        c.badge ? el("span", { className: "ot-badge" + (zero ? " ot-zero" : ""), text: String(c.badge) }) : null,
      ]),
      el("p", { className: "ot-card-dept", text: String(c.department_name || c.department || "") }),
    ]);
    var materials = Array.isArray(c.materials) ? c.materials : [];
    if (materials.length) {
      entry.checked = entry.checked || {};
      var list = el(elder ? "ol" : "ul", { className: "ot-materials", "aria-label": "材料清单" });
      materials.forEach(function (m, i) {
        if (!m || typeof m !== "object") { return; }
        var id = "ot-m-" + Math.random().toString(36).slice(2);
        var box = el("input", { type: "checkbox", id: id });
        if (m.exempt) {
          box.checked = true;
          box.disabled = true;
        } else {
          box.checked = !!entry.checked[i];
          box.addEventListener("change", function () { entry.checked[i] = box.checked; saveTranscript(); });
        }
        list.appendChild(el("li", { className: m.exempt ? "ot-exempt-row" : "" }, [
          box,
          el("label", { "for": id }, [String(m.name || ""), m.form ? el("span", { className: "ot-form", text: "（" + m.form + "）" }) : null]),
          m.exempt ? el("span", { className: "ot-exempt", text: "免提交", title: "部门通过数据共享获取，不用您提交" }) : null,
        ]));
      });
      box.appendChild(el("h4", { text: elder ? "要带的材料" : "材料清单（可勾选已备好的）" }));
      box.appendChild(list);
    }
    var rest = elder ? el("div", { className: "ot-morebody" }) : box;
    var facts = el("dl", { className: "ot-facts" });
    [["办理时限", c.time_limit], ["收费", c.fee], ["咨询电话", c.phone]].forEach(function (pair) {
      if (pair[1]) {
        facts.appendChild(el("dt", { text: pair[0] }));
        facts.appendChild(el("dd", { text: String(pair[1]) }));
      }
    });
    if (facts.childNodes.length) { rest.appendChild(facts); }
    var online = c.online && typeof c.online === "object" ? c.online : null;
    if (online && online.entry) {
      var label = String(online.entry) + (online.full_online ? " · 可全程网办" : " · 网上申请/预约");
      if (isHttpUrl(online.url)) {
        rest.appendChild(el("a", {
          className: "ot-online", href: online.url, target: "_blank", rel: "noopener noreferrer",
          "aria-label": "网上办理：" + label + "（在新窗口打开）", text: "网上办理：" + label,
        }));
      } else {
        rest.appendChild(el("p", { className: "ot-online-text", text: "网上办理：" + label }));
      }
    }
    if (elder && rest.childNodes.length) { box.appendChild(more([rest], "更多：时限、收费、电话、网上办理")); }
    return box;
  }

  function ticket(custom) {
    var handoff = custom.handoff === true || custom.kind === "handoff";
    return el("div", { className: "ot-ticket", role: "note", "aria-label": handoff ? "已转人工" : "工单已提交" }, [
      el("div", { className: "ot-ticket-label", text: handoff ? "已转人工 · 工单编号" : "工单已提交 · 工单编号" }),
      el("strong", { className: "ot-ticket-no", text: custom.ticket }),
      el("div", { className: "ot-ticket-dept", text: handoff ? "工作人员会在这里直接回复您" : "查进度时请提供此编号" }),
    ]);
  }

  function choices(replies, custom, entry) {
    var rating = custom.rating_request === true;
    var legend = rating ? "好差评：请选择" : Array.isArray(custom.clarify) ? "请选择一项" :
      Array.isArray(custom.related) ? "相关事项" : "可选回复";
    var group = el("fieldset", { className: "ot-choices" + (rating ? " ot-rating" : "") }, [
      el("legend", { className: entry.text && !rating ? "ot-sr" : null, text: legend }),
    ]);
    var buttons = [];
    replies.forEach(function (reply, i) {
      if (!reply || typeof reply !== "object") { return; }
      var title = String(reply.title || reply.payload || "");
      var payload = String(reply.payload || reply.title || "");
      var rateLevel = rating ? (payload.match(/"rating"\s*:\s*"?(\d)/) || [])[1] : null;
      var kids = [];
      if (rateLevel && STARS[rateLevel]) {
        kids.push(el("span", { className: "ot-stars", "aria-hidden": "true", text: new Array(STARS[rateLevel] + 1).join("★") }));
      }
      kids.push(title);
      var button = el("button", {
        className: "ot-choice", type: "button",
        "aria-label": rateLevel ? "评价：" + title + "（" + rateLevel + "星）" : title,
        "aria-pressed": entry.chosen === i ? "true" : null,
        onclick: function () {
          entry.chosen = i;
          buttons.forEach(function (b, j) {
            b.disabled = true;
            if (j === i) { b.setAttribute("aria-pressed", "true"); }
          });
          saveTranscript();
          send(payload, title);
        },
      }, kids);
      if (entry.chosen !== undefined && entry.chosen !== null) { button.disabled = true; }
      buttons.push(button);
      group.appendChild(button);
    });
    return group;
  }

  function add(entry) {
    transcript.push(entry);
    saveTranscript();
    render(entry, transcript.length - 1);
    scrollDown();
  }

  function renderAll() {
    log.textContent = "";
    setHuman(null);
    render({ who: "bot", text: cfg.greeting, welcome: true });
    transcript.forEach(render);
    scrollDown();
  }

  /* ---------- talking to Rasa ---------- */
  function send(payload, shown) {
    var text = String(payload || "").trim();
    if (!text) { return; }
    add({ who: "user", text: String(shown || text), ts: Date.now() });
    showTyping(true);
    if (socket && socket.connected && confirmed) {
      socket.emit("user_uttered", { message: text, session_id: sessionId });
    } else {
      queue.push(text);
      connect();
    }
  }

  function submitInput() {
    var text = input.value.trim().slice(0, MAX_CHARS);
    if (!text) { input.focus(); return; }
    input.value = "";
    input.style.height = "";
    send(text, text);
    input.focus();
  }

  function seen(entry, matched) {
    // A message replayed by /widget/history that the socket already delivered (its timestamp is
    // the tracker's, the socket's a few ms later). Each stored message stands for one replayed
    // message only, so two identical replies in a row are both kept. Live messages are never
    // compared: the bot may well say the same thing twice.
    for (var i = transcript.length - 1; i >= 0 && i >= transcript.length - 40; i--) {
      var old = transcript[i];
      if (matched.indexOf(old) < 0 && old.who === "bot" && old.text === entry.text &&
          Math.abs((old.ts || 0) - entry.ts) < 5000 &&
          JSON.stringify(old.custom || null) === JSON.stringify(entry.custom || null)) {
        matched.push(old);
        return true;
      }
    }
    return false;
  }

  function catchUp() {
    // Messages sent while this page was closed or offline (e.g. a staff reply): the hall reads
    // them from Rasa's tracker. Only for a conversation that has started.
    var after = 0;
    for (var i = transcript.length - 1; i >= 0; i--) {
      if (transcript[i].who === "bot" && transcript[i].ts) { after = transcript[i].ts / 1000; break; }
    }
    // No bot message yet: no conversation in Rasa either (and asking would start one).
    if (!after || !sessionId || !window.fetch) { return; }
    var asked = sessionId;
    window.fetch(HALL + "/widget/history?session=" + encodeURIComponent(asked) + "&after=" + after, { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || asked !== sessionId || !Array.isArray(body.messages)) { return; }
        var matched = [];
        body.messages.forEach(function (m) { onBot(m, matched); });
      })
      .catch(function () { /* the socket still works; history is a bonus */ });
  }

  function onBot(message, fromHistory) { // fromHistory: the replay's list of matched entries
    if (!message || typeof message !== "object") { return; }
    var entry = { who: "bot", ts: typeof message.timestamp === "number" ? Math.round(message.timestamp * 1000) : Date.now() };
    if (typeof message.text === "string") { entry.text = message.text; }
    if (Array.isArray(message.quick_replies)) {
      entry.quick_replies = message.quick_replies.map(function (r) {
        return { title: String((r && r.title) || ""), payload: String((r && r.payload) || "") };
      });
    }
    if (message.custom && typeof message.custom === "object") { entry.custom = message.custom; }
    if (message.attachment && message.attachment.type === "image") { entry.text = (entry.text ? entry.text + "\n" : "") + "[图片]"; }
    if (!entry.text && !entry.custom && !entry.quick_replies) { return; }
    if (fromHistory && seen(entry, fromHistory)) { return; }
    if (!fromHistory) { showTyping(false); }
    add(entry);
  }

  function loadClient(done) {
    if (window.io) { done(); return; }
    var tag = document.createElement("script");
    tag.src = HALL + "/widget/socket.io.min.js";
    tag.async = true;
    tag.onload = done;
    tag.onerror = function () { setStatus("offline", "无法加载聊天组件，请稍后刷新重试"); };
    document.head.appendChild(tag);
  }

  function connect() {
    if (socket) { return; }
    socket = "loading";
    loadClient(function () {
      if (typeof window.io !== "function") {
        setStatus("offline", "无法加载聊天组件，请稍后刷新重试");
        return;
      }
      socket = window.io(cfg.server, {
        path: cfg.socketPath,
        transports: ["websocket", "polling"],
        tryAllTransports: true, // a proxy without WebSocket falls back to long-polling
        reconnectionDelayMax: 10000,
      });
      socket.on("connect", function () {
        confirmed = false;
        setStatus("connecting", "正在连接…");
        socket.emit("session_request", { session_id: sessionId });
      });
      socket.on("session_confirm", function (value) {
        var id = value && typeof value === "object" ? value.session_id : value;
        if (typeof id !== "string" || !id) { return; }
        if (id !== sessionId) {
          if (sessionId) {
            // The server refused the stored id: a new conversation, so the old transcript goes.
            store.remove("transcript." + sessionId);
            transcript = [];
            renderAll();
          }
          sessionId = id;
          store.set("session", sessionId);
          saveTranscript(); // messages typed before the first confirmation
        }
        confirmed = true;
        setStatus("online", "在线 · 一般几秒内回复");
        catchUp();
        while (queue.length) {
          socket.emit("user_uttered", { message: queue.shift(), session_id: sessionId });
        }
      });
      socket.on("bot_uttered", function (message) { onBot(message, null); });
      socket.on("disconnect", function () {
        confirmed = false;
        setStatus("offline", "连接已断开，正在重新连接…");
      });
      socket.on("connect_error", function () {
        setStatus("offline", "暂时连不上服务，正在重试…");
      });
    });
  }

  function reset() {
    if (sessionId) { store.remove("transcript." + sessionId); }
    store.remove("session");
    sessionId = null;
    transcript = [];
    queue = [];
    showTyping(false);
    renderAll();
    if (socket && socket !== "loading") {
      // A fresh socket: the old one is in the old conversation's room.
      socket.disconnect();
      socket = null;
      connect();
    }
    input.focus();
  }

  function mount() {
    document.body.appendChild(host);
    renderAll();
    var open = store.get("open", null);
    setOpen(open === null ? cfg.open : !!open, true);
    if (!panel.hidden) { return; }
    if (sessionId) { connect(); } // staff replies to an earlier conversation still arrive
  }

  window.OneTripWidget = {
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    send: function (text) { setOpen(true); send(text, text); },
    reset: reset,
    session: function () { return sessionId; },
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
})();
