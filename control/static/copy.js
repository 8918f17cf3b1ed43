// A copy button after every <pre class="copy">. Without script the text
// stays what it is: selectable.
"use strict";
for (const pre of document.querySelectorAll("pre.copy")) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy-button";
  button.textContent = pre.dataset.copy;
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(pre.textContent).then(() => {
      button.textContent = pre.dataset.copied;
    });
  });
  pre.after(button);
}
