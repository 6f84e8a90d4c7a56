// Reply in place: move the comment form under the comment being answered.
// Without JavaScript the Reply link reloads the page with ?replytocom=<id>, which works too.
(function () {
  "use strict";
  var respond = document.getElementById("respond");
  if (!respond) return;
  var form = respond.querySelector("form");
  var parentInput = form.querySelector("input[name=parent]");
  var title = document.getElementById("reply-title");
  var home = document.createComment("comment form");
  respond.parentNode.insertBefore(home, respond);
  var originalTitle = title.innerHTML;

  function cancel(event) {
    if (event) event.preventDefault();
    home.parentNode.insertBefore(respond, home.nextSibling);
    parentInput.value = "";
    title.innerHTML = originalTitle;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-reply-to]");
    if (!link) return;
    event.preventDefault();
    var comment = document.getElementById("comment-" + link.dataset.replyTo);
    comment.parentNode.insertBefore(respond, comment.nextSibling);
    parentInput.value = link.dataset.replyTo;
    title.textContent = respond.dataset.replyLabel.replace("%s", link.dataset.replyName) + " ";
    var cancelLink = document.createElement("a");
    cancelLink.href = "#respond";
    cancelLink.className = "cancel-reply";
    cancelLink.textContent = respond.dataset.cancelLabel;
    cancelLink.addEventListener("click", cancel);
    title.appendChild(cancelLink);
    form.querySelector("textarea").focus();
  });
})();
