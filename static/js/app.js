// InquiryHub's own small behaviours. No inline scripts anywhere: the CSP forbids them.
(function () {
  "use strict";
  // Buttons with data-confirm ask before submitting their form.
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  // A form submits once: the second click of an impatient user does nothing.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitted === "1") {
      event.preventDefault();
      return;
    }
    if (!form.hasAttribute("data-allow-resubmit")) {
      form.dataset.submitted = "1";
      window.setTimeout(function () { form.dataset.submitted = ""; }, 5000);
    }
  });
})();
