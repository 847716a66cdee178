// Queue page: new tickets appear live with an alert; rows near or past their SLA are marked.
(function () {
  "use strict";
  if (!window.EventSource || !window.QUEUE) return;
  var body = document.querySelector("#queue tbody");
  var alertBox = document.getElementById("queue-alert");
  var fresh = [];
  function cell(text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;  // textContent: a citizen's text stays text
    return td;
  }
  function markText(mark) { return mark === "overdue" ? "已超时" : (mark === "near" ? "即将超时" : ""); }
  function setMark(row, mark) {
    row.classList.remove("overdue", "near");
    if (mark) row.classList.add(mark);
    var sla = row.querySelector("td.sla");
    if (!sla) return;
    var b = sla.querySelector("b.mark");
    if (!mark) { if (b) b.remove(); return; }
    if (!b) { b = document.createElement("b"); b.className = "mark"; sla.appendChild(document.createTextNode(" ")); sla.appendChild(b); }
    b.textContent = markText(mark);
  }
  var source = new EventSource(window.QUEUE.events);
  source.onmessage = function (e) {
    var m = JSON.parse(e.data);
    if (m.type === "new") {
      if (document.querySelector('tr[data-number="' + m.number + '"]')) return;
      var empty = body.querySelector("td.empty");
      if (empty) empty.parentNode.remove();
      var tr = document.createElement("tr");
      tr.dataset.number = m.number;
      tr.className = "new";
      var link = document.createElement("a");
      link.href = "/console/tickets/" + encodeURIComponent(m.number);
      link.textContent = m.number;
      var first = document.createElement("td");
      first.appendChild(link);
      tr.appendChild(first);
      tr.appendChild(cell(m.kind_name));
      tr.appendChild(cell(m.status_name));
      tr.appendChild(cell(m.department));
      tr.appendChild(cell(m.description, "desc"));
      tr.appendChild(cell("刚刚"));
      tr.appendChild(cell(m.remaining, "sla"));
      setMark(tr, m.mark);
      body.insertBefore(tr, body.firstChild);
      fresh.push(m.number);
      alertBox.textContent = "新工单：" + fresh.slice(-3).join("、") + (fresh.length > 3 ? " 等 " + fresh.length + " 张" : "");
      alertBox.hidden = false;
    } else if (m.type === "sla") {
      var rows = body.querySelectorAll("tr[data-number]");
      for (var i = 0; i < rows.length; i++) setMark(rows[i], m.marks[rows[i].dataset.number] || "");
    }
  };
})();
