// Operations' workbench: ticking rows of the inquiry list and the queue. The pages work without
// it (each row has its own checkbox); this adds "tick all on the page" and a live count.
(function () {
  "use strict";
  var form = document.querySelector(".allocate-form");
  if (!form) { return; }
  var all = form.querySelector("input.pick-all");
  var boxes = form.querySelectorAll("input[name=pick]");
  var count = form.querySelector(".picked-count");
  var matching = form.querySelector("input[name=all_matching]");

  function ticked() {
    var n = 0;
    boxes.forEach(function (b) { if (b.checked) { n += 1; } });
    return n;
  }

  function refresh() {
    var n = ticked();
    if (count) {
      count.textContent = n ? count.getAttribute("data-some").replace("#", n) : count.getAttribute("data-none");
      count.classList.toggle("has-picks", n > 0 || (matching && matching.checked));
    }
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
    boxes.forEach(function (b) {
      var row = b.closest("tr");
      if (row) { row.classList.toggle("picked", b.checked || (matching && matching.checked)); }
    });
  }

  if (all) {
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
      refresh();
    });
  }
  boxes.forEach(function (b) { b.addEventListener("change", refresh); });
  if (matching) { matching.addEventListener("change", refresh); }

  // Shift-click ticks the range since the last click, as in a mail client.
  var last = null;
  boxes.forEach(function (b, i) {
    b.addEventListener("click", function (event) {
      if (event.shiftKey && last !== null) {
        var lo = Math.min(last, i), hi = Math.max(last, i);
        for (var k = lo; k <= hi; k += 1) { boxes[k].checked = b.checked; }
        refresh();
      }
      last = i;
    });
  });

  // Clicking a row (not a link or a control) toggles its checkbox.
  form.addEventListener("click", function (event) {
    if (event.target.closest("a, input, button, select, label, textarea")) { return; }
    var row = event.target.closest("tbody tr");
    var box = row && row.querySelector("input[name=pick]");
    if (box) { box.checked = !box.checked; refresh(); }
  });
  refresh();
})();
