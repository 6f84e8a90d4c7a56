// Keep the donate button honest as the reader changes amount or frequency: "Give $10 / month".
(function () {
  "use strict";
  var form = document.querySelector(".donate-form");
  if (!form) return;
  var button = form.querySelector(".donate-button");
  var other = form.querySelector("input[name=other_amount]");

  // Read an amount as the server does (donations.money.parse_amount): "1,000" is a
  // thousand, "10,50" is ten and a half; anything else shows no amount at all.
  function parse(text) {
    text = text.trim();
    if (/^\d{1,3}(,\d{3}){1,2}(\.\d{1,2})?$/.test(text)) text = text.replace(/,/g, "");
    else if (/^\d{1,9},\d{2}$/.test(text)) text = text.replace(",", ".");
    else if (!/^\d{1,9}(\.\d{1,2})?$/.test(text)) return null;
    return Number(text);
  }

  function label() {
    var frequency = (form.querySelector("input[name=frequency]:checked") || {}).value || "once";
    var picked = form.querySelector("input[name=amount]:checked");
    var amount = parse(other.value.trim() || (picked && picked.value !== "other" ? picked.value : ""));
    if (!amount) { button.textContent = button.dataset.labelOnce.replace(" %s", ""); return; }
    var cents = amount % 1 ? 2 : 0;
    var shown = button.dataset.currencySymbol +
      amount.toLocaleString("en-US", { minimumFractionDigits: cents, maximumFractionDigits: 2 });
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
