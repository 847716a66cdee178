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
  var typingTimer = null;

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
  var host = el("div", { id: "onetrip-widget" });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  root.appendChild(el("link", { rel: "stylesheet", href: HALL + "/widget/widget.css" }));

  var launcher = el("button", {
    className: "ot-launcher", type: "button", "aria-expanded": "false", "aria-controls": "ot-panel",
    "aria-label": "打开" + cfg.title, onclick: function () { setOpen(true); },
  }, [svg("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z"),
    el("span", { text: "在线咨询" })]);

  var status = el("div", { className: "ot-status", "data-state": "connecting", text: "正在连接…" });
  var titleId = "ot-title";
  var log = el("ol", { className: "ot-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-labelledby": titleId, tabindex: "0" });
  var typing = el("div", { className: "ot-typing", role: "status", hidden: true }, [
    el("span", { "aria-hidden": "true" }), el("span", { "aria-hidden": "true" }), el("span", { "aria-hidden": "true" }),
    el("span", { className: "ot-sr", text: "智能助手正在输入…" }),
  ]);
  var input = el("textarea", {
    className: "ot-input", rows: "1", maxlength: String(MAX_CHARS), placeholder: cfg.placeholder,
    "aria-label": "输入您的问题", autocomplete: "off", enterkeyhint: "send",
  });
  var sendButton = el("button", { className: "ot-send", type: "submit", text: "发送", "aria-label": "发送消息" });
  var form = el("form", { className: "ot-form-row", onsubmit: function (event) {
    event.preventDefault();
    submitInput();
  } }, [input, sendButton]);
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
      newButton, closeButton,
    ]),
    log,
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

  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition does neither.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submitInput();
    }
  });
  input.addEventListener("input", function () {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
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
    clearTimeout(typingTimer);
    typing.hidden = !on;
    if (on) { typingTimer = setTimeout(function () { typing.hidden = true; }, 30000); }
    scrollDown();
  }

  /* ---------- rendering one entry of the transcript ---------- */
  function render(entry, index) {
    var custom = entry.custom && typeof entry.custom === "object" ? entry.custom : {};
    var text = typeof entry.text === "string" ? entry.text : "";
    var staff = entry.who === "bot" && text.indexOf("【工作人员】") === 0;
    var kind = entry.who === "user" ? "ot-user" : staff ? "ot-staff" : "ot-bot";
    var item = el("li", { className: "ot-msg " + kind + (entry.welcome ? " ot-welcome" : "") });
    var who = entry.who === "user" ? "我" : staff ? "工作人员" : "智能助手";
    item.appendChild(el("span", { className: entry.who === "user" ? "ot-sr" : "ot-who", text: who + (entry.who === "user" ? "说：" : "") }));
    if (staff) { text = text.slice("【工作人员】".length); }
    var hasCard = custom.card && typeof custom.card === "object";
    var folded = text && hasCard && (custom.aspect === "overview" || custom.aspect === "materials") &&
      text.indexOf("【" + custom.card.name + "】") === 0;
    if (text && !folded) { item.appendChild(el("div", { className: "ot-bubble", text: text })); }
    if (hasCard) { item.appendChild(card(custom.card, entry)); }
    if (folded) {
      // The card shows the same guide: the full wording stays one click away.
      item.appendChild(el("details", { className: "ot-bubble ot-fulltext" }, [
        el("summary", { text: "查看文字说明（含办理地点、注意事项）" }), el("div", { text: text }),
      ]));
    }
    if (custom.ticket && typeof custom.ticket === "string") { item.appendChild(ticket(custom)); }
    var replies = Array.isArray(entry.quick_replies) ? entry.quick_replies : [];
    if (replies.length) { item.appendChild(choices(replies, custom, entry)); }
    if (entry.ts) { item.appendChild(timeEl(entry.ts)); }
    log.appendChild(item);
    return item;
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
      var list = el("ul", { className: "ot-materials", "aria-label": "材料清单" });
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
      box.appendChild(el("h4", { text: "材料清单（可勾选已备好的）" }));
      box.appendChild(list);
    }
    var facts = el("dl", { className: "ot-facts" });
    [["办理时限", c.time_limit], ["收费", c.fee], ["咨询电话", c.phone]].forEach(function (pair) {
      if (pair[1]) {
        facts.appendChild(el("dt", { text: pair[0] }));
        facts.appendChild(el("dd", { text: String(pair[1]) }));
      }
    });
    if (facts.childNodes.length) { box.appendChild(facts); }
    var online = c.online && typeof c.online === "object" ? c.online : null;
    if (online && online.entry) {
      var label = String(online.entry) + (online.full_online ? " · 可全程网办" : " · 网上申请/预约");
      if (isHttpUrl(online.url)) {
        box.appendChild(el("a", {
          className: "ot-online", href: online.url, target: "_blank", rel: "noopener noreferrer",
          "aria-label": "网上办理：" + label + "（在新窗口打开）", text: "网上办理：" + label,
        }));
      } else {
        box.appendChild(el("p", { className: "ot-online-text", text: "网上办理：" + label }));
      }
    }
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

  function seen(entry) {
    // The same message from the socket and from /widget/history (a few ms apart at most).
    for (var i = transcript.length - 1; i >= 0 && i >= transcript.length - 20; i--) {
      var old = transcript[i];
      if (old.who === "bot" && old.text === entry.text && Math.abs((old.ts || 0) - entry.ts) < 5000 &&
          JSON.stringify(old.custom || null) === JSON.stringify(entry.custom || null)) { return true; }
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
        body.messages.forEach(function (m) { onBot(m, true); });
      })
      .catch(function () { /* the socket still works; history is a bonus */ });
  }

  function onBot(message, fromHistory) {
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
    if (seen(entry)) { return; }
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
      socket.on("bot_uttered", function (message) { onBot(message, false); });
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
