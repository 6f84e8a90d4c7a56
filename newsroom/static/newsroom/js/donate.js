// Keep the donate button honest as the reader changes amount or frequency: "Give $10 / month".
(function () {
  "use strict";
  var form = document.querySelector(".donate-form");
  if (!form) return;
  var button = form.querySelector(".donate-button");
  var other = form.querySelector("input[name=other_amount]");

  function label() {
    var frequency = (form.querySelector("input[name=frequency]:checked") || {}).value || "once";
    var picked = form.querySelector("input[name=amount]:checked");
    var amount = other.value.trim() || (picked && picked.value !== "other" ? picked.value : "");
    if (!amount || isNaN(Number(amount))) { button.textContent = button.dataset.labelOnce.replace(" %s", ""); return; }
    var shown = button.dataset.currencySymbol + Number(amount).toLocaleString();
    button.textContent = button.dataset["label" + frequency.charAt(0).toUpperCase() + frequency.slice(1)].replace("%s", shown);
  }

  form.addEventListener("change", label);
  other.addEventListener("input", function () {
    var checked = form.querySelector("input[name=amount]:checked");
    if (other.value && checked) checked.checked = false;
    label();
  });
  label();
})();
