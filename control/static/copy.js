// A copy button after every element of class "copy" (its data-text, or
// its text). Without script the text stays what it is: selectable.
"use strict";
for (const block of document.querySelectorAll(".copy")) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy-button";
  button.textContent = block.dataset.copy;
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(block.dataset.text ?? block.textContent).then(() => {
      button.textContent = block.dataset.copied;
    });
  });
  block.after(button);
}
