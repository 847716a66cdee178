// Ticket page: reveal the contact (audited server-side) and live messages by Server-Sent Events.
(function () {
  "use strict";
  var reveal = document.getElementById("reveal");
  if (reveal) {
    reveal.addEventListener("click", function () {
      var body = new FormData();
      body.append("csrf", window.HALL.csrf);
      fetch(reveal.dataset.url, {method: "POST", body: body, credentials: "same-origin"})
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) { document.getElementById("phone").textContent = data.phone; reveal.remove(); })
        .catch(function () { alert("无法显示联系电话，请刷新页面后重试"); });
    });
  }
  if (!window.EventSource || !window.HALL.events) return;
  var list = document.getElementById("transcript");
  var source = new EventSource(window.HALL.events);
  source.onmessage = function (e) {
    var m = JSON.parse(e.data);
    var li = document.createElement("li");
    li.className = m.who === "user" ? "user" : (m.who === "staff" ? "staff" : "bot");
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = m.author || (m.who === "user" ? "群众" : "机器人");
    var time = document.createElement("time");
    time.textContent = m.time || "";
    var text = document.createElement("div");
    text.className = "text";
    text.textContent = m.text;  // textContent: a citizen's <script> stays text
    li.appendChild(who); li.appendChild(time); li.appendChild(text);
    list.appendChild(li);
    li.scrollIntoView({block: "nearest"});
  };
})();
