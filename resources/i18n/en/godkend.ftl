# Godkend desktop app, English (the fallback language).

app-name = Godkend
settings-button = Settings
help-button = Help
back-button = Back
starting = Starting…

# Welcome / activate
welcome-title = Activate this computer
welcome-intro = Your administrator gave you an activation link, or a server address, a user id and an activation code. Activation makes this computer a device that can approve sign-ins for you.
link-label = Activation link
link-placeholder = godkend://activate?…
link-invalid = This is not a valid activation link.
link-used = For user { $user } on the server { $host }
link-offered = Use the new link from { $host }?
link-offered-note = Another activation link was opened while you were filling in this form. Your form stays as it is unless you replace it. Replace it only if you opened the new link yourself.
link-replace-button = Replace
link-keep-button = Keep
manual-heading = Or type the details
server-label = Server address
server-placeholder = https://godkend.example.com
server-invalid = The server address is not valid: { $reason }
user-label = User id
user-placeholder = Your user id
code-label = Activation code
code-placeholder = From your administrator
pin-heading = Choose a PIN
pin-intro = You type this PIN every time you approve a request.
pin-label = New PIN
pin-placeholder = 6 to 12 digits
pin-again-label = Type the PIN again
pin-again-placeholder = The same PIN again
pin-hint = Use 6 to 12 digits that are hard to guess.
pin-too-short = The PIN must have at least 6 digits.
pin-too-long = The PIN can have at most 12 digits.
pin-not-digits = The PIN can contain only digits.
pin-too-simple = This PIN is too easy to guess.
pin-mismatch = The two PINs are not the same.
pin-type-again = Good. Now type it again.
pin-ok = The PINs match.
activate-button = Activate
activating = Activating with { $host }… this takes a few seconds.
activation-failed = Activation failed: { $reason }
activated-title = This computer is activated
activated-serial = Serial number
activated-org = Organisation
activated-server = Server
activated-note = Give the serial number when you contact support.
continue-button = Continue
copy-button = Copy

# Home
home-title = Godkend
home-connecting = Connecting…
home-connected = Connected
home-polling = Connected (checking for requests every few seconds)
home-offline = Offline: { $reason }
home-serial = Serial number
home-user = User
home-no-request = No pending request.
home-pending-heading = Pending request
home-pending-from = From { $rp }
home-pending-expires = Expires in { $time }
home-security-warning = Something arrived that failed verification and was ignored: { $detail }

# Problem at start
problem-title = Godkend cannot start
problem-detail = { $reason }
problem-try-again = Try again
problem-start-again-hint = If trying again does not help (for example because the keyring was reset), you can start again: activate this computer anew with a new activation link from your administrator.
problem-start-again = Start again…
problem-start-again-explained = This deletes Godkend's keys, settings and history on this computer. Your organisation's server still lists this computer until you revoke it under My devices on another device, or ask your administrator to.
problem-start-again-confirm = Delete and start again

# Settings
settings-title = Settings
settings-serial = Serial number: { $serial }
settings-version = Version { $version }
settings-security = Security
settings-lock-on-close = Lock when the app closes
settings-auto-lock = Lock automatically after 5 minutes
settings-auto-lock-always = Always on: an unlocked authenticator must not be left open.
settings-biometric = Unlock with { $method }
settings-change-pin = Change PIN
settings-notifications = Notifications
settings-notifications-on = Turn on notifications
settings-start-at-login = Start at login
settings-start-at-login-why = Requests reach this computer only while Godkend runs.
settings-managed = Set by your organisation.
settings-biometric-managed-off = Unlock with fingerprint, face or Windows Hello is turned off by your organisation.
settings-policy-unreadable = Your organisation's settings for Godkend could not be read, so biometrics and the browser hand-off are off. Tell your IT support: { $problem }
settings-devices = Devices
settings-my-devices = My devices
settings-appearance = Appearance
settings-language = Language
settings-language-system = System language
settings-theme = Theme
settings-theme-system = System
settings-theme-light = Light
settings-theme-dark = Dark
settings-help = Help and support
settings-support = Support from { $org }
settings-support-email = Email
settings-support-phone = Phone
settings-support-url = Web
settings-support-none = Your organisation has not given any support contacts.
settings-show-guide = Show the guide
settings-about = About
settings-revoke-heading = Remove this computer
settings-revoke-explained = Deregisters this computer and deletes its keys and data. This cannot be undone.
settings-revoke = Revoke this computer…
settings-autostart-failed = Start at login could not be changed: { $reason }
settings-save-failed = The change applies until Godkend quits, but could not be saved: { $reason }

# Help (placeholder)
help-title = Help
help-welcome = To activate, paste the link from your administrator, or type the server address, your user id and the activation code. Then choose a PIN of 6 to 12 digits that is hard to guess and press Activate.
help-home = Godkend waits for approval requests. When one arrives you get a notification; open it to see what you are asked to approve.
help-request = Check who asks and what for. If it is you, type the code shown where you started (the website or program) and your PIN, and press Approve. If you did not start it, press "This was not me".
help-general = Godkend approves sign-ins and payments for you from this computer.

# Tray
tray-tooltip = Godkend
tray-open = Open Godkend
tray-quit = Quit
tray-tooltip-not-activated = Godkend: not activated on this computer yet
tray-tooltip-pending = Godkend: a request from { $rp } is waiting
tray-tooltip-offline = Godkend: offline
tray-tooltip-locked = Godkend: locked
tray-review = Review the request from { $rp }
tray-no-request = No request waiting
tray-lock = Lock now
tray-settings = Settings
tray-no-host-title = Godkend is running
tray-no-host-body = This desktop shows no tray icons. Requests still arrive as notifications, and you can open Godkend from your applications menu.

# The server revoked or blocked this device
device-ended = This computer was revoked or blocked at the server, and its keys and data were removed. Activate it again to use Godkend.

# Request
home-review-button = Review
request-kind-login = Sign-in request
request-kind-payment = Payment request
request-kind-action = Request to approve an action
request-amount = Amount
request-payee = To { $payee }
request-ip = IP address
request-location = Location
request-browser = Browser
request-time = Time
request-expires = Expires in { $time }
request-origin-verified = Started on { $site } in your browser on this computer.
request-instructions-verified = Your browser confirmed where this sign-in started, so no code is needed. If it is you, confirm with your PIN (or fingerprint) and press Approve.
request-origin-unconfirmed = Your browser did not confirm where this sign-in started: check the code on the login page.
request-origin-missing = { $rp } asks that sign-ins start in your browser on this computer, and your browser did not confirm this one, so it cannot be approved here. If you did not start it, report it.
request-origin-mismatch-title = Warning: this may be a phishing site
request-origin-mismatch-started = This sign-in was started on:
request-origin-mismatch-site = The site is { $site }.
request-origin-mismatch-advice = That is not a site of { $rp }. Do not approve: deny it, or report that it was not you.
request-expired = This request has expired and can no longer be approved.
request-instructions = If this is you, type the code shown where you started (the website or program) and your PIN, then press Approve.
request-code-label = Code ({ $length } digits)
request-code-placeholder = Shown where you started
request-pin-label = PIN
request-pin-placeholder = Your PIN
request-pin-kept = Your PIN is remembered for this request.
request-approve = Approve
request-deny = Deny
request-not-me = This was not me
request-not-me-explained = This denies the request and reports it as not made by you. New requests to you are then paused for a while.
request-not-me-confirm = Yes, report it
request-not-me-cancel = Cancel
request-working = Sending…
request-wrong-code = The code does not match the one shown where you started. Type it again ({ $left } tries left).
request-wrong-pin = Wrong PIN. { $left ->
    [one] 1 try left before this computer is blocked.
   *[other] { $left } tries left before this computer is blocked.
}
request-failed = The decision could not be sent: { $reason }
request-approved = Approved. You can close this window.
request-denied = Denied. You can close this window.
request-reported = Reported as not made by you. New requests are paused for a while.
request-queued = Not delivered yet. Godkend keeps sending the answer until the server takes it or the request expires.
request-superseded = A newer request replaced this one.
request-not-pending = This request is no longer pending: it was decided elsewhere or withdrawn.
request-code-failed = The code was wrong too many times, so the request failed. Start the sign-in again.
request-blocked = The PIN was wrong too many times, so the server blocked this computer. Its keys are removed; activate it again to use Godkend.
request-refused = The server refused the decision: { $reason }

# OS notification of a new request: generic text only, never the request's own
# title, message, amount, payee or code (they may show on a locked screen).
notification-summary = Approval request from { $rp }
notification-body-login = wants you to approve a sign-in
notification-body-payment = wants you to approve a payment
notification-body-action = wants you to approve an action
notification-review = Review
notification-deny = Deny

# Unlock
unlock-title = Unlock Godkend
unlock-intro = Type your PIN to see your activity and settings. Requests can be approved without unlocking: each approval asks for your PIN anyway.
unlock-pin-placeholder = PIN
unlock-button = Unlock
unlock-erase = ⌫ Erase
unlock-checking = Checking your PIN with the server…
unlock-wrong-pin = Wrong PIN. { $left ->
    [one] One more wrong PIN blocks this computer.
   *[other] { $left } tries left before this computer is blocked.
}
unlock-offline = You are offline. Only the server can check your PIN, so Godkend cannot unlock until the connection is back. Requests you already have can still be denied.
unlock-failed = Could not unlock: { $reason }
# Times, relative to now
time-just-now = just now
time-minutes-ago = { $minutes } min ago
time-hours-ago = { $hours ->
    [one] 1 hour ago
   *[other] { $hours } hours ago
}
time-days-ago = { $days ->
    [one] 1 day ago
   *[other] { $days } days ago
}

# Dates and times in the computer's time zone: strftime patterns (jiff's), %Z is
# the zone's abbreviation (CET, CEST, EST). Write them as this language does.
format-date-time = %b %-d, %Y, %-I:%M %p %Z
format-date = %b %-d, %Y

# Activity: the requests this computer saw and what became of them
activity-title = Activity
activity-button = Activity
home-recent-heading = Recent activity
home-recent-none = No requests yet.
home-recent-locked = Unlock Godkend to see your activity.
home-update-available = A newer version of Godkend is available. Update when it suits you.
home-update-required = This version of Godkend is too old for your organisation's server. Update Godkend to keep approving requests.
home-update-where = Get the new version from { $url }
home-update-how = Update it the way you installed it: your system's software updates, or ask your IT support.
home-see-all = See all
activity-empty = No requests yet. Requests you approve or deny on this computer are listed here.
activity-kind-login = Sign-in
activity-kind-payment = Payment
activity-kind-action = Action
activity-pending = Waiting for you
activity-approved = Approved
activity-denied = Denied
activity-not-me = Reported as not me
activity-withdrawn = Decided on another device
activity-superseded = Replaced by a newer request
activity-expired = Expired
activity-failed = Failed: wrong code too many times

# First-run guide
guide-title = Guide
guide-what-title = Welcome to Godkend
guide-what-body = Godkend lets you approve sign-ins and payments from this computer. A website or your company's login asks Godkend, and you decide here.
guide-arrives-title = A request arrives
guide-arrives-body = When something asks for your approval, you get a notification and the Godkend icon in the tray shows it. Open it to see the request.
guide-check-title = Check, then approve
guide-check-body = Check who asks and what for: the amount and payee, where the request came from. If it is you, type the code shown where you started (the website or program) and your PIN, and press Approve.
guide-not-me-title = "This was not me"
guide-not-me-body = If you did not start a request, press "This was not me". It is denied and reported, and new requests to you are paused for a while.
guide-around-title = Finding your way
guide-around-body = The gear, top left, opens the settings. The "?", top right, explains the screen you are on. Godkend keeps running in the tray when you close the window.
guide-page = Page { $page } of { $pages }
guide-next = Next
guide-back = Back
guide-done = Done
guide-skip = Skip the guide
# Change PIN
change-pin-title = Change PIN
change-pin-intro = Type your current PIN, then choose a new one. The new PIN is used for every approval from now on.
change-pin-current-label = Current PIN
change-pin-current-placeholder = Your current PIN
change-pin-same = The new PIN is the same as the current one.
change-pin-button = Save the new PIN
change-pin-working = Changing the PIN… this takes a few seconds.
change-pin-done = Your PIN is changed. Use the new PIN from now on.
change-pin-wrong = The current PIN is wrong. { $left ->
    [one] 1 try left before this computer is blocked.
   *[other] { $left } tries left before this computer is blocked.
}
change-pin-offline = The server cannot be reached, so the PIN was not changed. Try again when you are online.
change-pin-failed = The PIN was not changed: { $reason }

# My devices
devices-title = My devices
devices-intro = The computers and phones that can approve requests for you.
devices-loading = Fetching your devices…
devices-failed = Your devices could not be fetched: { $reason }
devices-reload = Try again
devices-this-computer = { $name } (this computer)
devices-serial = Serial number { $serial }
devices-created = Added { $time }
devices-last-seen = Last seen { $time }
devices-status-revoked = Revoked
devices-status-blocked = Blocked
devices-revoke = Revoke
devices-revoke-named = Revoke { $name }
devices-confirm = Revoke { $name }? It can then no longer approve requests. Type your PIN to confirm.
devices-pin-placeholder = Your PIN
devices-confirm-button = Yes, revoke it
devices-cancel = Cancel
devices-working = Revoking…
devices-revoked = { $name } was revoked.
devices-wrong-pin = Wrong PIN. { $left ->
    [one] 1 try left before this computer is blocked.
   *[other] { $left } tries left before this computer is blocked.
}
devices-offline = The server cannot be reached, so nothing was revoked. Try again when you are online.
devices-revoke-failed = The device was not revoked: { $reason }

# Revoke this computer
revoke-title = Revoke this computer
revoke-explained = This deregisters this computer at your organisation's server. Approval requests will no longer arrive here.
revoke-deletes = It also deletes everything Godkend keeps on this computer: the keys in the keyring, the settings and the history. This cannot be undone; to use Godkend here again you need a new activation.
revoke-confirm-hint = Type your PIN to confirm.
revoke-pin-label = PIN
revoke-pin-placeholder = Your PIN
revoke-button = Revoke and delete
revoke-working = Revoking and deleting…
revoke-wrong-pin = Wrong PIN. { $left ->
    [one] 1 try left before this computer is blocked.
   *[other] { $left } tries left before this computer is blocked.
}
revoke-offline = The server cannot be reached, so nothing was revoked or deleted. Try again when you are online.
revoke-failed = This computer was not revoked: { $reason }

# After revoking
removed-title = This computer was removed
removed-done = This computer is deregistered, and its keys and data are deleted.
removed-uninstall = You can now remove the Godkend app too.
removed-uninstall-button = Uninstall Godkend
uninstall-package = Remove the package in a terminal: { $command }
uninstall-appimage = Delete the file { $path }
uninstall-other = Remove Godkend the same way you installed it.
uninstall-failed = The uninstaller could not be started: { $reason }

# Biometric unlock and approval ($method is biometric-name-*, e.g. "fingerprint")
biometric-name-fingerprint = fingerprint
biometric-name-hello = Windows Hello
biometric-name-touch-id = Touch ID
biometric-use = Use { $method }
biometric-use-pin = Use PIN instead
request-instructions-biometric = If this is you, type the code shown where you started (the website or program), then press Approve with { $method }.
biometric-approve = Approve with { $method }
biometric-cancel = Cancel
biometric-scanning-unlock = Touch the fingerprint reader to unlock Godkend.
biometric-scanning-approve = Touch the fingerprint reader to approve this request.
biometric-reason-unlock = Unlock Godkend
biometric-reason-approve = Approve: { $title }
biometric-no-match = Not recognised. { $left ->
    [one] One more try, then your PIN is needed.
   *[other] { $left } more tries, then your PIN is needed.
}
biometric-suspended = Too many scans did not match, so { $method } is paused. Use your PIN; once it has unlocked Godkend, { $method } works again.
biometric-timed-out = Nothing was read in time. Try again, or use your PIN.
biometric-unavailable = { $method } cannot be used now: { $reason }. Use your PIN.
biometric-failed = The check failed: { $reason }. Try again, or use your PIN.
biometric-key-removed = { $method } was turned off at the server (a new PIN or your administrator removed its key). Use your PIN, and turn it on again in settings.
biometric-not-accepted = This request must be approved with your PIN.
settings-biometric-on-software = On. The key is kept in this computer's keyring, and only your { $method } releases it.
settings-biometric-on-hardware = On. The key is held by this computer's security hardware.
settings-biometric-approves = It unlocks Godkend and approves requests, with the code from the login screen.
settings-biometric-unlocks-only = It unlocks Godkend. Approvals still ask for your PIN: this server accepts { $method } approvals only from keys held by security hardware, and on Linux the key is kept in the keyring, which other programs you run could read.
settings-biometric-pin = Type your PIN to turn on { $method }.
settings-biometric-turn-on = Turn on
settings-biometric-working = Registering with the server…
settings-biometric-wrong-pin = Wrong PIN. { $left ->
    [one] One more wrong PIN blocks this computer.
   *[other] { $left } tries left before this computer is blocked.
}
settings-biometric-failed = Could not change it: { $reason }
settings-biometric-suspended = Paused after 5 scans that did not match. Unlock with your PIN to use it again.
settings-biometric-removed = { $method } was turned off at the server (a new PIN or your administrator removed its key). Turn it on again to use it.
help-biometric = With { $method } turned on in settings, you can unlock Godkend, and approve where your organisation allows it, with { $method } instead of the PIN; "Use PIN instead" is always there. The code from the login screen is still needed.
guide-biometric = You can also turn on { $method } in settings, to use it instead of the PIN.
