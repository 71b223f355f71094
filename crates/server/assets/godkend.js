/*! godkend.js: hands a Godkend approval request from this page to the Godkend app on
 * the same computer, so the app learns from the browser which web origin started the
 * sign-in (PROTOCOL.md §7.3). No dependencies. MIT OR Apache-2.0.
 *
 *   Godkend.handOff(requestId).then(function (result) {
 *     // result.handedOff: true when the app took it (your origin is one it knows)
 *   });
 *
 * - requestId comes from your own server's session (the `request_id` your server got
 *   from POST /v1/rp/requests), never from this page's URL or from user input.
 * - It POSTs the id as text/plain to http://127.0.0.1:47470, :47471 and :47472 at
 *   once, a CORS-simple request (no preflight). Every port gets it, so a program that
 *   squats one port cannot hide the app listening on another.
 * - It never throws and never rejects: without the app, or when the user refuses the
 *   browser's local-network prompt, it resolves {handedOff: false} and the sign-in
 *   goes on with the typed code.
 * - Content-Security-Policy: connect-src http://127.0.0.1:47470 http://127.0.0.1:47471
 *   http://127.0.0.1:47472
 */
(function (root) {
  "use strict";

  var PORTS = [47470, 47471, 47472];
  // Request ids are base64url text; anything else is not sent anywhere.
  var REQUEST_ID = /^[A-Za-z0-9_-]{1,128}$/;
  // The app answers a hand-off that reached it before the sign-in's request did once
  // the request arrives, within 4 s: wait a little longer than that.
  var TIMEOUT_MS = 5000;

  function notHandedOff() {
    return { handedOff: false, port: null };
  }

  // One try: true only when the app answered 2xx to this page's origin. A refusal,
  // a missing CORS grant (the origin is not the relying party's), a closed port and
  // a timeout all read as false.
  function tryPort(port, requestId, timeoutMs) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, timeoutMs) : null;
    var done = function (ok) {
      if (timer) clearTimeout(timer);
      return ok;
    };
    try {
      return fetch("http://127.0.0.1:" + port + "/v1/handoff", {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        cache: "no-store",
        redirect: "error",
        referrerPolicy: "no-referrer",
        // A string body is sent as text/plain;charset=UTF-8: CORS-simple.
        body: requestId,
        signal: controller ? controller.signal : undefined
      }).then(
        function (response) { return done(response.ok); },
        function () { return done(false); }
      );
    } catch (e) {
      return Promise.resolve(done(false));
    }
  }

  /**
   * Hands `requestId` to the Godkend app on this computer.
   * options.ports and options.timeoutMs are for tests; keep the defaults.
   * Resolves {handedOff: boolean, port: number|null}; never rejects.
   */
  function handOff(requestId, options) {
    var opts = options || {};
    var ports = Array.isArray(opts.ports) ? opts.ports.slice(0, 8) : PORTS;
    var timeoutMs = typeof opts.timeoutMs === "number" ? opts.timeoutMs : TIMEOUT_MS;
    if (typeof requestId !== "string" || !REQUEST_ID.test(requestId) ||
        typeof fetch !== "function") {
      return Promise.resolve(notHandedOff());
    }
    // All at once: the answer is the first port (in the list's order) that accepted.
    var tries = ports.map(function (port) { return tryPort(port, requestId, timeoutMs); });
    return Promise.all(tries).then(function (accepted) {
      var at = accepted.indexOf(true);
      return at < 0 ? notHandedOff() : { handedOff: true, port: ports[at] };
    }).catch(notHandedOff);
  }

  root.Godkend = Object.freeze({ handOff: handOff, ports: Object.freeze(PORTS.slice()) });
})(typeof window !== "undefined" ? window : globalThis);
