// Passkeys (WebAuthn): signing in with a passkey as the second factor, and
// registering one. Progressive enhancement: without WebAuthn the pages work
// as they are (other factors), and this script only shows or hides what it
// drives. Messages are set with textContent only.
(function () {
  "use strict";

  var supported = !!(window.PublicKeyCredential && navigator.credentials &&
    navigator.credentials.create && navigator.credentials.get);

  // base64url text <-> ArrayBuffer, the encodings of the server's JSON and
  // of the browser's WebAuthn API.
  function toBuffer(text) {
    var s = String(text).replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) {
      s += "=";
    }
    var bin = atob(s);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      bytes[i] = bin.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) {
      return undefined;
    }
    var bytes = new Uint8Array(buffer);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      var out = { type: d.type, id: toBuffer(d.id) };
      if (d.transports) {
        out.transports = d.transports;
      }
      return out;
    });
  }

  // A failure the user can act on. The server's messages are written to be
  // shown; anything else gets a plain sentence.
  function Problem(message) {
    this.message = message;
  }

  function post(url, body) {
    var init = {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" }
    };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (res) {
      return res.json().catch(function () {
        return null;
      }).then(function (data) {
        if (!res.ok) {
          var e = data && data.error;
          if (e && e.code === "step_up_required") {
            // A new passkey needs the password again (issue #17): confirm
            // it, then come back to the account page.
            location.assign("/account/confirm?next=" + encodeURIComponent("/account"));
          }
          var msg = "Something went wrong; please try again.";
          if (e && typeof e.message === "string") {
            // A field error's message continues the field's name.
            msg = typeof e.field === "string" && e.field ?
              "The " + e.field.replace(/_/g, " ") + " " + e.message : e.message;
          }
          throw new Problem(msg);
        }
        return data || {};
      });
    }, function () {
      throw new Problem("Could not reach the server; check your connection and try again.");
    });
  }

  function explain(err) {
    if (err instanceof Problem) {
      return err.message;
    }
    if (err && err.name === "NotAllowedError") {
      return "The passkey request was cancelled or timed out.";
    }
    if (err && err.name === "InvalidStateError") {
      return "This passkey is registered already.";
    }
    return "The passkey could not be used; please try again.";
  }

  function say(status, text) {
    if (status) {
      status.textContent = text;
    }
  }

  function signIn(button, status) {
    button.disabled = true;
    say(status, "Waiting for your passkey…");
    post("/api/v1/passkeys/login/begin").then(function (begin) {
      var pk = begin.publicKey;
      pk.challenge = toBuffer(pk.challenge);
      pk.allowCredentials = descriptors(pk.allowCredentials);
      return navigator.credentials.get({ publicKey: pk }).then(function (cred) {
        return post("/api/v1/passkeys/login/finish", {
          challenge_id: begin.challenge_id,
          credential: {
            id: cred.id,
            rawId: toText(cred.rawId),
            type: cred.type,
            authenticatorAttachment: cred.authenticatorAttachment || undefined,
            response: {
              clientDataJSON: toText(cred.response.clientDataJSON),
              authenticatorData: toText(cred.response.authenticatorData),
              signature: toText(cred.response.signature),
              userHandle: toText(cred.response.userHandle)
            },
            clientExtensionResults: cred.getClientExtensionResults()
          }
        });
      });
    }).then(function (done) {
      var to = typeof done.redirect === "string" ? done.redirect : "/";
      // Only a path on this site.
      if (to.charAt(0) !== "/" || to.charAt(1) === "/" || to.charAt(1) === "\\") {
        to = "/";
      }
      say(status, "Signed in.");
      location.assign(to);
    }).catch(function (err) {
      say(status, explain(err));
      button.disabled = false;
    });
  }

  function register(form, status) {
    var submit = form.querySelector("[type=submit]");
    var name = form.elements.namedItem("name");
    if (submit) {
      submit.disabled = true;
    }
    say(status, "Follow your browser's prompt to create the passkey…");
    post("/api/v1/me/passkeys/register/begin").then(function (begin) {
      var pk = begin.publicKey;
      pk.challenge = toBuffer(pk.challenge);
      pk.user.id = toBuffer(pk.user.id);
      pk.excludeCredentials = descriptors(pk.excludeCredentials);
      return navigator.credentials.create({ publicKey: pk }).then(function (cred) {
        var r = cred.response;
        return post("/api/v1/me/passkeys/register/finish", {
          challenge_id: begin.challenge_id,
          name: name ? name.value : "",
          credential: {
            id: cred.id,
            rawId: toText(cred.rawId),
            type: cred.type,
            authenticatorAttachment: cred.authenticatorAttachment || undefined,
            response: {
              clientDataJSON: toText(r.clientDataJSON),
              attestationObject: toText(r.attestationObject),
              transports: typeof r.getTransports === "function" ? r.getTransports() : undefined
            },
            clientExtensionResults: cred.getClientExtensionResults()
          }
        });
      });
    }).then(function () {
      say(status, "Passkey added.");
      location.reload();
    }).catch(function (err) {
      say(status, explain(err));
      if (submit) {
        submit.disabled = false;
      }
    });
  }

  function start() {
    var status = document.getElementById("passkey-status");

    var button = document.getElementById("passkey-signin");
    if (button && supported) {
      button.hidden = false;
      button.addEventListener("click", function () {
        signIn(button, status);
      });
    }

    var form = document.getElementById("passkey-register");
    if (form) {
      if (!supported) {
        form.hidden = true;
        say(status, "This browser cannot create passkeys. You can add one from a browser that supports them.");
        return;
      }
      // Pages may ship the form hidden, as it needs this script.
      form.hidden = false;
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        register(form, status);
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
