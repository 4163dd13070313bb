// The import pages: a size check and the csv sheet chooser on upload; a progress bar that polls.
(function () {
  "use strict";

  // Upload: refuse a file over the limit before sending it, and show the sheet chooser for csv only.
  var form = document.querySelector("[data-import-form]");
  if (form) {
    var input = form.querySelector("input[type=file]");
    var sheetField = form.querySelector("[data-sheet-field]");
    var fileError = form.querySelector("[data-file-error]");
    var submit = form.querySelector("button[type=submit]");
    var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;

    var showError = function (text) {
      fileError.textContent = text;
      fileError.hidden = !text;
      submit.disabled = !!text;
    };
    var update = function () {
      var file = input.files && input.files[0];
      var isCsv = !file || /\.csv$/i.test(file.name);
      sheetField.hidden = !isCsv;
      if (file && maxBytes && file.size > maxBytes) {
        showError(input.getAttribute("data-too-large"));
      } else if (file) {
        showError("");
      }
    };
    input.addEventListener("change", update);
    update();
    form.addEventListener("submit", function () {
      var text = submit.getAttribute("data-uploading-text");
      if (text) {
        window.setTimeout(function () { submit.textContent = text; submit.disabled = true; }, 0);
      }
    });
  }

  // Job page: ask the server how far the import is until it is finished, then show the result.
  var box = document.querySelector("[data-import-status]");
  if (box) {
    var url = box.getAttribute("data-import-status");
    var bar = box.querySelector("progress");
    var progressText = box.querySelector("[data-import-progress-text]");
    var statusLabel = box.querySelector("[data-import-status-label]");
    var badge = document.querySelector("[data-import-status-badge]");
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) {
            window.setTimeout(poll, 5000);
            return;
          }
          bar.max = Math.max(data.total, 1);
          bar.value = data.done;
          bar.textContent = data.percent + "%";
          progressText.textContent = data.progress_text;
          statusLabel.textContent = data.status_label;
          if (badge) {
            badge.textContent = data.status_label;
            badge.className = "state import-" + data.status;
          }
          if (data.finished) {
            window.location.reload();
          } else {
            window.setTimeout(poll, 1500);
          }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1000);
  }
})();

// Mapping page: choosing another kind of sheet puts that kind's suggested column on each column.
(function () {
  "use strict";
  var mapping = document.querySelector("[data-mapping-form]");
  var data = document.getElementById("mapping-suggestions");
  if (!mapping || !data) {
    return;
  }
  var suggestions = JSON.parse(data.textContent);
  var kind = mapping.querySelector("select[name=kind]");
  kind.addEventListener("change", function () {
    var chosen = suggestions[kind.value] || [];
    chosen.forEach(function (key, index) {
      var select = mapping.querySelector("select[name=col_" + index + "]");
      if (select) {
        select.value = key;
      }
    });
  });
})();
