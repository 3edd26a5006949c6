// Enhancements only: every page works without this script.
document.addEventListener("DOMContentLoaded", function () {
  document.documentElement.classList.add("js");
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
});
