// Passkeys (WebAuthn): add one to your account, or give your second factor with one at login.
// Buttons: [data-passkey="register"] and [data-passkey="login"], each with data-options (where
// the ceremony's options come from) and data-send (where the answer goes).
(function () {
  "use strict";

  function csrf() {
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRFToken"] || "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: body === undefined ? "" : JSON.stringify(body),
    });
  }

  function say(button, text) {
    const place = document.getElementById(button.dataset.status);
    if (place) place.textContent = text;
  }

  async function ceremony(button) {
    const kind = button.dataset.passkey;
    button.disabled = true;
    try {
      const asked = await post(button.dataset.options);
      const options = await asked.json();
      if (!asked.ok) throw new Error(options.detail || "Govern refused.");
      const credential =
        kind === "register"
          ? await navigator.credentials.create({
              publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
            })
          : await navigator.credentials.get({
              publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
            });
      const sent = await post(button.dataset.send, credential.toJSON());
      const answer = await sent.json();
      if (!sent.ok) throw new Error(answer.detail || "The passkey was refused.");
      if (kind === "register") {
        say(button, "Passkey added.");
        window.location.reload();
      } else {
        window.location.assign(answer.next || "/");
      }
    } catch (error) {
      say(button, "No passkey: " + error.message);
      button.disabled = false;
    }
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-passkey]");
    if (!button) return;
    event.preventDefault();
    if (!window.PublicKeyCredential) {
      say(button, "This browser cannot use passkeys.");
      return;
    }
    ceremony(button);
  });
})();
