# Godkend desktop-app, dansk.

app-name = Godkend
settings-button = Indstillinger
help-button = Hjælp
back-button = Tilbage
starting = Starter…

# Velkommen / aktivér
welcome-title = Aktivér denne computer
welcome-intro = Din administrator har givet dig et aktiveringslink eller en serveradresse, et bruger-id og en aktiveringskode. Aktiveringen gør denne computer til en enhed, der kan godkende login for dig.
link-label = Aktiveringslink
link-placeholder = godkend://activate?…
link-invalid = Dette er ikke et gyldigt aktiveringslink.
link-used = Til bruger { $user } på serveren { $host }
link-offered = Vil du bruge det nye link fra { $host }?
link-offered-note = Et andet aktiveringslink blev åbnet, mens du udfyldte formularen. Din formular forbliver, som den er, medmindre du erstatter den. Erstat den kun, hvis du selv har åbnet det nye link.
link-replace-button = Erstat
link-keep-button = Behold
manual-heading = Eller indtast oplysningerne
server-label = Serveradresse
server-placeholder = https://godkend.example.com
server-invalid = Serveradressen er ikke gyldig: { $reason }
user-label = Bruger-id
user-placeholder = Dit bruger-id
code-label = Aktiveringskode
code-placeholder = Fra din administrator
pin-heading = Vælg en pinkode
pin-intro = Du indtaster pinkoden, hver gang du godkender en anmodning.
pin-label = Ny pinkode
pin-placeholder = 6 til 12 cifre
pin-again-label = Gentag pinkoden
pin-again-placeholder = Den samme pinkode igen
pin-hint = Brug 6 til 12 cifre, der er svære at gætte.
pin-too-short = Pinkoden skal have mindst 6 cifre.
pin-too-long = Pinkoden må højst have 12 cifre.
pin-not-digits = Pinkoden må kun indeholde cifre.
pin-too-simple = Denne pinkode er for nem at gætte.
pin-mismatch = De to pinkoder er ikke ens.
pin-type-again = Godt. Indtast den nu igen.
pin-ok = Pinkoderne er ens.
activate-button = Aktivér
activating = Aktiverer hos { $host }… det tager nogle sekunder.
activation-failed = Aktiveringen mislykkedes: { $reason }
activated-title = Denne computer er aktiveret
activated-serial = Serienummer
activated-org = Organisation
activated-server = Server
activated-note = Oplys serienummeret, når du kontakter support.
continue-button = Fortsæt
copy-button = Kopiér

# Hjem
home-title = Godkend
home-connecting = Forbinder…
home-connected = Forbundet
home-polling = Forbundet (ser efter anmodninger med få sekunders mellemrum)
home-offline = Offline: { $reason }
home-serial = Serienummer
home-user = Bruger
home-no-request = Ingen ventende anmodninger.
home-pending-heading = Ventende anmodning
home-pending-from = Fra { $rp }
home-pending-expires = Udløber om { $time }
home-security-warning = Noget, der ikke kunne verificeres, blev modtaget og ignoreret: { $detail }

# Problem ved start
problem-title = Godkend kan ikke starte
problem-detail = { $reason }
problem-try-again = Prøv igen
problem-start-again-hint = Hvis det ikke hjælper at prøve igen (fx fordi nøgleringen er nulstillet), kan du starte forfra: aktivér denne computer igen med et nyt aktiveringslink fra din administrator.
problem-start-again = Start forfra…
problem-start-again-explained = Dette sletter Godkends nøgler, indstillinger og historik på denne computer. Din organisations server viser stadig denne computer, indtil du tilbagekalder den under Mine enheder på en anden enhed eller beder din administrator om det.
problem-start-again-confirm = Slet og start forfra

# Indstillinger
settings-title = Indstillinger
settings-serial = Serienummer: { $serial }
settings-version = Version { $version }
settings-security = Sikkerhed
settings-lock-on-close = Lås, når appen lukkes
settings-auto-lock = Lås automatisk efter 5 minutter
settings-auto-lock-always = Altid slået til: en ulåst godkender må ikke stå åben.
settings-biometric = Lås op med { $method }
settings-change-pin = Skift pinkode
settings-notifications = Notifikationer
settings-notifications-on = Slå notifikationer til
settings-start-at-login = Start ved login
settings-start-at-login-why = Anmodninger når kun frem til denne computer, mens Godkend kører.
settings-managed = Fastsat af din organisation.
settings-biometric-managed-off = Oplåsning med fingeraftryk, ansigt eller Windows Hello er slået fra af din organisation.
settings-policy-unreadable = Din organisations indstillinger for Godkend kunne ikke læses, så biometri og overdragelse fra browseren er slået fra. Giv besked til din IT-support: { $problem }
settings-devices = Enheder
settings-my-devices = Mine enheder
settings-appearance = Udseende
settings-language = Sprog
settings-language-system = Systemets sprog
settings-theme = Tema
settings-theme-system = System
settings-theme-light = Lyst
settings-theme-dark = Mørkt
settings-help = Hjælp og support
settings-support = Support fra { $org }
settings-support-email = E-mail
settings-support-phone = Telefon
settings-support-url = Web
settings-support-none = Din organisation har ikke oplyst nogen supportkontakt.
settings-show-guide = Vis guiden
settings-about = Om
settings-revoke-heading = Fjern denne computer
settings-revoke-explained = Afregistrerer denne computer og sletter dens nøgler og data. Det kan ikke fortrydes.
settings-revoke = Tilbagekald denne computer…
settings-autostart-failed = Start ved login kunne ikke ændres: { $reason }
settings-save-failed = Ændringen gælder, indtil Godkend lukkes, men kunne ikke gemmes: { $reason }

# Hjælp (pladsholder)
help-title = Hjælp
help-welcome = For at aktivere skal du indsætte linket fra din administrator eller indtaste serveradressen, dit bruger-id og aktiveringskoden. Vælg derefter en pinkode på 6 til 12 cifre, der er svær at gætte, og tryk på Aktivér.
help-home = Godkend venter på anmodninger om godkendelse. Når der kommer en, får du en notifikation; åbn den for at se, hvad du bliver bedt om at godkende.
help-request = Tjek, hvem der spørger, og hvad det gælder. Hvis det er dig, så skriv koden, der vises der, hvor du startede (hjemmesiden eller programmet), og din pinkode, og tryk på Godkend. Hvis du ikke selv har startet det, så tryk på "Det var ikke mig".
help-general = Godkend godkender login og betalinger for dig fra denne computer.

# Bakke
tray-tooltip = Godkend
tray-open = Åbn Godkend
tray-quit = Afslut
tray-tooltip-not-activated = Godkend: endnu ikke aktiveret på denne computer
tray-tooltip-pending = Godkend: en anmodning fra { $rp } venter
tray-tooltip-offline = Godkend: offline
tray-tooltip-locked = Godkend: låst
tray-review = Se anmodningen fra { $rp }
tray-no-request = Ingen anmodning venter
tray-lock = Lås nu
tray-settings = Indstillinger
tray-no-host-title = Godkend kører
tray-no-host-body = Dette skrivebord viser ikke ikoner i statusfeltet. Anmodninger kommer stadig som notifikationer, og du kan åbne Godkend fra programmenuen.

# Serveren har tilbagekaldt eller spærret denne enhed
device-ended = Denne computer er blevet tilbagekaldt eller spærret på serveren, og dens nøgler og data er fjernet. Aktivér den igen for at bruge Godkend.

# Anmodning
home-review-button = Se anmodningen
request-kind-login = Anmodning om login
request-kind-payment = Anmodning om betaling
request-kind-action = Anmodning om at godkende en handling
request-amount = Beløb
request-payee = Til { $payee }
request-ip = IP-adresse
request-location = Sted
request-browser = Browser
request-time = Tidspunkt
request-expires = Udløber om { $time }
request-origin-verified = Startet på { $site } i din browser på denne computer.
request-instructions-verified = Din browser har bekræftet, hvor dette login startede, så der skal ikke bruges en kode. Hvis det er dig, så bekræft med din pinkode (eller dit fingeraftryk), og tryk på Godkend.
request-origin-unconfirmed = Din browser bekræftede ikke, hvor dette login startede: tjek koden på login-siden.
request-origin-mismatch-title = Advarsel: dette kan være et phishing-websted
request-origin-missing = { $rp } kræver, at login starter i din browser på denne computer, og din browser bekræftede ikke dette, så det kan ikke godkendes her. Hvis det ikke var dig, så meld det.
request-origin-mismatch-started = Dette login blev startet på:
request-origin-mismatch-site = Webstedet er { $site }.
request-origin-mismatch-advice = Det er ikke et websted for { $rp }. Godkend ikke: afvis det, eller meld at det ikke var dig.
request-expired = Anmodningen er udløbet og kan ikke længere godkendes.
request-instructions = Hvis det er dig, så skriv koden, der vises der, hvor du startede (hjemmesiden eller programmet), og din pinkode, og tryk på Godkend.
request-code-label = Kode ({ $length } cifre)
request-code-placeholder = Vises, hvor du startede
request-pin-label = Pinkode
request-pin-placeholder = Din pinkode
request-pin-kept = Din pinkode huskes for denne anmodning.
request-approve = Godkend
request-deny = Afvis
request-not-me = Det var ikke mig
request-not-me-explained = Dette afviser anmodningen og melder, at den ikke kom fra dig. Nye anmodninger til dig bliver så sat på pause et stykke tid.
request-not-me-confirm = Ja, meld det
request-not-me-cancel = Annullér
request-working = Sender…
request-wrong-code = Koden passer ikke med den, der vises, hvor du startede. Skriv den igen ({ $left } forsøg tilbage).
request-wrong-pin = Forkert pinkode. { $left ->
    [one] 1 forsøg tilbage, før computeren spærres.
   *[other] { $left } forsøg tilbage, før computeren spærres.
}
request-failed = Svaret kunne ikke sendes: { $reason }
request-approved = Godkendt. Du kan lukke vinduet.
request-denied = Afvist. Du kan lukke vinduet.
request-reported = Meldt som ikke fra dig. Nye anmodninger er sat på pause et stykke tid.
request-queued = Ikke leveret endnu. Godkend bliver ved med at sende svaret, til serveren tager imod det, eller anmodningen udløber.
request-superseded = En nyere anmodning har erstattet denne.
request-not-pending = Anmodningen venter ikke længere: den er afgjort et andet sted eller trukket tilbage.
request-code-failed = Koden var forkert for mange gange, så anmodningen mislykkedes. Start login forfra.
request-blocked = Pinkoden var forkert for mange gange, så serveren har spærret computeren. Dens nøgler er fjernet; aktivér den igen for at bruge Godkend.
request-refused = Serveren afviste svaret: { $reason }

# OS notification of a new request: generic text only, never the request's own
# title, message, amount, payee or code (they may show on a locked screen).
notification-summary = Anmodning om godkendelse fra { $rp }
notification-body-login = beder dig godkende et login
notification-body-payment = beder dig godkende en betaling
notification-body-action = beder dig godkende en handling
notification-review = Se anmodningen
notification-deny = Afvis

# Unlock
unlock-title = Lås Godkend op
unlock-intro = Skriv din pinkode for at se din aktivitet og dine indstillinger. Anmodninger kan godkendes uden at låse op: hver godkendelse beder alligevel om din pinkode.
unlock-pin-placeholder = Pinkode
unlock-button = Lås op
unlock-erase = ⌫ Slet
unlock-checking = Tjekker din pinkode hos serveren…
unlock-wrong-pin = Forkert pinkode. { $left ->
    [one] Én forkert pinkode mere spærrer denne computer.
   *[other] { $left } forsøg tilbage, før denne computer spærres.
}
unlock-offline = Du er offline. Kun serveren kan tjekke din pinkode, så Godkend kan ikke låses op, før forbindelsen er tilbage. Anmodninger, du allerede har, kan stadig afvises.
unlock-failed = Kunne ikke låse op: { $reason }
# Tidspunkter, i forhold til nu
time-just-now = lige nu
time-minutes-ago = for { $minutes } min. siden
time-hours-ago = { $hours ->
    [one] for 1 time siden
   *[other] for { $hours } timer siden
}
time-days-ago = { $days ->
    [one] for 1 dag siden
   *[other] for { $days } dage siden
}

# Dato og klokkeslæt i computerens tidszone: strftime-mønstre (jiffs), %Z er
# zonens forkortelse (CET, CEST, EST).
format-date-time = %d.%m.%Y kl. %H.%M %Z
format-date = %d.%m.%Y

# Aktivitet: de anmodninger, denne computer har set, og hvordan de endte
activity-title = Aktivitet
activity-button = Aktivitet
home-recent-heading = Seneste aktivitet
home-recent-none = Ingen anmodninger endnu.
home-recent-locked = Lås Godkend op for at se din aktivitet.
home-update-available = Der er en nyere version af Godkend. Opdatér, når det passer dig.
home-update-required = Denne version af Godkend er for gammel til din organisations server. Opdatér Godkend for at kunne godkende anmodninger.
home-update-where = Hent den nye version på { $url }
home-update-how = Opdatér den, som du installerede den: med systemets softwareopdateringer, eller spørg din IT-support.
home-see-all = Se alle
activity-empty = Ingen anmodninger endnu. Anmodninger, du godkender eller afviser på denne computer, vises her.
activity-kind-login = Log ind
activity-kind-payment = Betaling
activity-kind-action = Handling
activity-pending = Venter på dig
activity-approved = Godkendt
activity-denied = Afvist
activity-not-me = Meldt som ikke mig
activity-withdrawn = Afgjort på en anden enhed
activity-superseded = Erstattet af en nyere anmodning
activity-expired = Udløbet
activity-failed = Mislykkedes: forkert kode for mange gange

# Introduktion ved første start
guide-title = Introduktion
guide-what-title = Velkommen til Godkend
guide-what-body = Med Godkend godkender du log ind og betalinger fra denne computer. En hjemmeside eller din arbejdsplads' login spørger Godkend, og du bestemmer her.
guide-arrives-title = En anmodning kommer
guide-arrives-body = Når noget beder om din godkendelse, får du en notifikation, og Godkend-ikonet i statusfeltet viser det. Åbn den for at se anmodningen.
guide-check-title = Tjek først, og godkend så
guide-check-body = Tjek, hvem der spørger, og hvad det gælder: beløb og modtager, og hvor anmodningen kom fra. Er det dig, så indtast koden, der vises der, hvor du startede, og din pinkode, og tryk på Godkend.
guide-not-me-title = "Det var ikke mig"
guide-not-me-body = Har du ikke selv startet en anmodning, så tryk på "Det var ikke mig". Den bliver afvist og meldt, og nye anmodninger til dig sættes på pause et stykke tid.
guide-around-title = Sådan finder du rundt
guide-around-body = Tandhjulet øverst til venstre åbner indstillingerne. "?" øverst til højre forklarer den skærm, du er på. Godkend kører videre i statusfeltet, når du lukker vinduet.
guide-page = Side { $page } af { $pages }
guide-next = Næste
guide-back = Tilbage
guide-done = Færdig
guide-skip = Spring introduktionen over
# Skift pinkode
change-pin-title = Skift pinkode
change-pin-intro = Skriv din nuværende pinkode, og vælg derefter en ny. Den nye pinkode bruges til alle godkendelser fra nu af.
change-pin-current-label = Nuværende pinkode
change-pin-current-placeholder = Din nuværende pinkode
change-pin-same = Den nye pinkode er den samme som den nuværende.
change-pin-button = Gem den nye pinkode
change-pin-working = Skifter pinkode… det tager et par sekunder.
change-pin-done = Din pinkode er skiftet. Brug den nye pinkode fra nu af.
change-pin-wrong = Den nuværende pinkode er forkert. { $left ->
    [one] 1 forsøg tilbage, før denne computer spærres.
   *[other] { $left } forsøg tilbage, før denne computer spærres.
}
change-pin-offline = Serveren kan ikke nås, så pinkoden blev ikke skiftet. Prøv igen, når du er online.
change-pin-failed = Pinkoden blev ikke skiftet: { $reason }

# Mine enheder
devices-title = Mine enheder
devices-intro = De computere og telefoner, der kan godkende anmodninger for dig.
devices-loading = Henter dine enheder…
devices-failed = Dine enheder kunne ikke hentes: { $reason }
devices-reload = Prøv igen
devices-this-computer = { $name } (denne computer)
devices-serial = Serienummer { $serial }
devices-created = Tilføjet { $time }
devices-last-seen = Sidst set { $time }
devices-status-revoked = Tilbagekaldt
devices-status-blocked = Spærret
devices-revoke = Tilbagekald
devices-revoke-named = Tilbagekald { $name }
devices-confirm = Tilbagekald { $name }? Den kan så ikke længere godkende anmodninger. Skriv din pinkode for at bekræfte.
devices-pin-placeholder = Din pinkode
devices-confirm-button = Ja, tilbagekald den
devices-cancel = Annuller
devices-working = Tilbagekalder…
devices-revoked = { $name } er tilbagekaldt.
devices-wrong-pin = Forkert pinkode. { $left ->
    [one] 1 forsøg tilbage, før denne computer spærres.
   *[other] { $left } forsøg tilbage, før denne computer spærres.
}
devices-offline = Serveren kan ikke nås, så intet blev tilbagekaldt. Prøv igen, når du er online.
devices-revoke-failed = Enheden blev ikke tilbagekaldt: { $reason }

# Tilbagekald denne computer
revoke-title = Tilbagekald denne computer
revoke-explained = Dette afregistrerer denne computer på din organisations server. Anmodninger om godkendelse kommer ikke længere frem hertil.
revoke-deletes = Det sletter også alt, hvad Godkend gemmer på denne computer: nøglerne i nøgleringen, indstillingerne og historikken. Det kan ikke fortrydes; for at bruge Godkend her igen skal computeren aktiveres på ny.
revoke-confirm-hint = Skriv din pinkode for at bekræfte.
revoke-pin-label = Pinkode
revoke-pin-placeholder = Din pinkode
revoke-button = Tilbagekald og slet
revoke-working = Tilbagekalder og sletter…
revoke-wrong-pin = Forkert pinkode. { $left ->
    [one] 1 forsøg tilbage, før denne computer spærres.
   *[other] { $left } forsøg tilbage, før denne computer spærres.
}
revoke-offline = Serveren kan ikke nås, så intet blev tilbagekaldt eller slettet. Prøv igen, når du er online.
revoke-failed = Denne computer blev ikke tilbagekaldt: { $reason }

# Efter tilbagekaldelse
removed-title = Denne computer er fjernet
removed-done = Denne computer er afregistreret, og dens nøgler og data er slettet.
removed-uninstall = Du kan nu også fjerne Godkend-appen.
removed-uninstall-button = Afinstaller Godkend
uninstall-package = Fjern pakken i en terminal: { $command }
uninstall-appimage = Slet filen { $path }
uninstall-other = Fjern Godkend på samme måde, som du installerede det.
uninstall-failed = Afinstallationsprogrammet kunne ikke startes: { $reason }

# Biometrisk oplåsning og godkendelse
biometric-name-fingerprint = fingeraftryk
biometric-name-hello = Windows Hello
biometric-name-touch-id = Touch ID
biometric-use = Brug { $method }
biometric-use-pin = Brug pinkode i stedet
request-instructions-biometric = Hvis det er dig, så skriv koden, der vises der, hvor du startede (hjemmesiden eller programmet), og tryk på Godkend med { $method }.
biometric-approve = Godkend med { $method }
biometric-cancel = Annullér
biometric-scanning-unlock = Rør ved fingeraftrykslæseren for at låse Godkend op.
biometric-scanning-approve = Rør ved fingeraftrykslæseren for at godkende anmodningen.
biometric-reason-unlock = Lås Godkend op
biometric-reason-approve = Godkend: { $title }
biometric-no-match = Ikke genkendt. { $left ->
    [one] Ét forsøg mere, så skal du bruge din pinkode.
   *[other] { $left } forsøg mere, så skal du bruge din pinkode.
}
biometric-suspended = For mange forsøg passede ikke, så { $method } er sat på pause. Brug din pinkode; når den har låst Godkend op, virker { $method } igen.
biometric-timed-out = Der blev ikke læst noget i tide. Prøv igen, eller brug din pinkode.
biometric-unavailable = { $method } kan ikke bruges nu: { $reason }. Brug din pinkode.
biometric-failed = Kontrollen mislykkedes: { $reason }. Prøv igen, eller brug din pinkode.
biometric-key-removed = { $method } blev slået fra på serveren (en ny pinkode eller din administrator fjernede nøglen). Brug din pinkode, og slå det til igen under indstillinger.
biometric-not-accepted = Denne anmodning skal godkendes med din pinkode.
settings-biometric-on-software = Slået til. Nøglen ligger i denne computers nøglering, og kun dit { $method } frigiver den.
settings-biometric-on-hardware = Slået til. Nøglen opbevares af computerens sikkerhedshardware.
settings-biometric-approves = Det låser Godkend op og godkender anmodninger sammen med koden fra loginskærmen.
settings-biometric-unlocks-only = Det låser Godkend op. Godkendelser beder stadig om din pinkode: denne server tager kun imod godkendelser med { $method } fra nøgler i sikkerhedshardware, og på Linux ligger nøglen i nøgleringen, som andre programmer, du kører, kan læse.
settings-biometric-pin = Skriv din pinkode for at slå { $method } til.
settings-biometric-turn-on = Slå til
settings-biometric-working = Registrerer hos serveren…
settings-biometric-wrong-pin = Forkert pinkode. { $left ->
    [one] Én forkert pinkode mere spærrer denne computer.
   *[other] { $left } forsøg tilbage, før denne computer spærres.
}
settings-biometric-failed = Kunne ikke ændre det: { $reason }
settings-biometric-suspended = Sat på pause efter 5 forsøg, der ikke passede. Lås op med din pinkode for at bruge det igen.
settings-biometric-removed = { $method } blev slået fra på serveren (en ny pinkode eller din administrator fjernede nøglen). Slå det til igen for at bruge det.
help-biometric = Når { $method } er slået til under indstillinger, kan du låse Godkend op, og godkende hvor din organisation tillader det, med { $method } i stedet for pinkoden; "Brug pinkode i stedet" er der altid. Koden fra loginskærmen skal stadig bruges.
guide-biometric = Du kan også slå { $method } til under indstillinger og bruge det i stedet for pinkoden.
