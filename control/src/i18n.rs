//! Every user-visible text of the portal and the API, in English and
//! German: templates ask `tr.t("key")`, errors name their key
//! (`Error::text_key`). Tests check that every key a template or an error
//! uses exists here, so a missing translation fails the tests instead of
//! showing a raw key.

use crate::domain::accounts::Language;

/// (key, English, German)
const TEXTS: &[(&str, &str, &str)] = &[
    ("nav.hosts", "Hosts", "Hosts"),
    ("nav.log", "Action log", "Aktionsprotokoll"),
    ("nav.api_tokens", "API tokens", "API-Tokens"),
    ("nav.profile", "Profile", "Profil"),
    ("nav.admin", "Operator", "Betrieb"),
    ("nav.signout", "Sign out", "Abmelden"),
    ("nav.signin", "Sign in", "Anmelden"),
    ("nav.signup", "Create account", "Konto anlegen"),
    ("nav.main", "Main navigation", "Hauptnavigation"),
    ("nav.skip", "Skip to the content", "Zum Inhalt springen"),
    ("error.home", "Back to the start", "Zurück zum Anfang"),
    ("login.title", "Sign in", "Anmelden"),
    ("login.name", "Account name", "Kontoname"),
    ("login.password", "Password", "Passwort"),
    ("login.submit", "Sign in", "Anmelden"),
    (
        "login.forgot",
        "Forgot your password?",
        "Passwort vergessen?",
    ),
    (
        "login.failed",
        "Wrong account name or password.",
        "Kontoname oder Passwort ist falsch.",
    ),
    (
        "login.throttled",
        "Too many failed attempts. Try again in a few minutes.",
        "Zu viele Fehlversuche. Bitte in einigen Minuten erneut versuchen.",
    ),
    ("signup.title", "Create an account", "Konto anlegen"),
    ("signup.email", "E-mail address", "E-Mail-Adresse"),
    (
        "signup.password_hint",
        "At least 10 characters.",
        "Mindestens 10 Zeichen.",
    ),
    ("signup.submit", "Create account", "Konto anlegen"),
    (
        "signup.disabled",
        "Sign-up is closed on this service.",
        "Die Registrierung ist bei diesem Dienst geschlossen.",
    ),
    (
        "signup.name_hint",
        "2 to 64 characters: a-z, 0-9, '.', '_', '@', '-'. Also your update user name.",
        "2 bis 64 Zeichen: a-z, 0-9, '.', '_', '@', '-'. Auch Ihr Benutzername für Updates.",
    ),
    (
        "reset.title",
        "Reset your password",
        "Passwort zurücksetzen",
    ),
    (
        "reset.who",
        "Account name or e-mail address",
        "Kontoname oder E-Mail-Adresse",
    ),
    (
        "reset.submit",
        "Send reset link",
        "Link zum Zurücksetzen senden",
    ),
    (
        "reset.sent",
        "If an account matches, a mail with a reset link is on its way. The link works once, for one hour.",
        "Wenn ein Konto passt, ist eine Mail mit einem Link unterwegs. Der Link funktioniert einmal, eine Stunde lang.",
    ),
    (
        "reset.new_title",
        "Choose a new password",
        "Neues Passwort wählen",
    ),
    ("reset.new_password", "New password", "Neues Passwort"),
    ("reset.set", "Set password", "Passwort setzen"),
    (
        "reset.invalid",
        "This link is invalid, used or expired. Request a new one.",
        "Dieser Link ist ungültig, benutzt oder abgelaufen. Bitte einen neuen anfordern.",
    ),
    ("hosts.title", "Your hosts", "Ihre Hosts"),
    ("hosts.none", "No hosts yet.", "Noch keine Hosts."),
    ("hosts.name", "Host", "Host"),
    ("hosts.label", "Name", "Name"),
    ("hosts.zone", "Zone", "Zone"),
    ("hosts.ttl", "TTL (seconds)", "TTL (Sekunden)"),
    (
        "hosts.wildcard",
        "Wildcard (*.host answers like the host)",
        "Wildcard (*.host antwortet wie der Host)",
    ),
    ("hosts.create", "Create host", "Host anlegen"),
    ("hosts.new", "New host", "Neuer Host"),
    ("hosts.addresses", "Addresses", "Adressen"),
    ("hosts.last_update", "Last update", "Letztes Update"),
    ("hosts.token", "Update token", "Update-Token"),
    ("hosts.state", "State", "Zustand"),
    ("hosts.enabled", "enabled", "aktiv"),
    ("hosts.disabled", "disabled", "deaktiviert"),
    (
        "hosts.quota",
        "Hosts used / allowed",
        "Hosts belegt / erlaubt",
    ),
    (
        "hosts.bulk",
        "Create update tokens for all hosts without one",
        "Update-Tokens für alle Hosts ohne Token erzeugen",
    ),
    (
        "hosts.bulk_hint",
        "Downloads spdyn_update_token.csv (hostname, token). The tokens are shown only this once.",
        "Lädt spdyn_update_token.csv (hostname, token) herunter. Die Tokens werden nur dieses eine Mal angezeigt.",
    ),
    ("hosts.never", "never", "nie"),
    ("token.none", "none", "keins"),
    ("token.unused", "never used", "nie benutzt"),
    ("token.used", "used", "benutzt"),
    ("host.settings", "Settings", "Einstellungen"),
    ("host.save", "Save", "Speichern"),
    ("host.enable", "Enable host", "Host aktivieren"),
    ("host.disable", "Disable host", "Host deaktivieren"),
    ("host.delete", "Delete host", "Host löschen"),
    (
        "host.delete_hint",
        "Deleting removes the host, its records and its token at once.",
        "Löschen entfernt den Host, seine Einträge und sein Token sofort.",
    ),
    (
        "host.token_create",
        "Create update token",
        "Update-Token erzeugen",
    ),
    (
        "host.token_exchange",
        "Exchange update token",
        "Update-Token austauschen",
    ),
    (
        "host.token_exchange_hint",
        "The current token stops working at once.",
        "Das bisherige Token funktioniert sofort nicht mehr.",
    ),
    (
        "host.token_revoke",
        "Revoke update token",
        "Update-Token widerrufen",
    ),
    ("host.client", "Last client", "Letzter Client"),
    ("host.token_created", "Token created", "Token erzeugt"),
    ("host.token_first_use", "First use", "Erste Nutzung"),
    ("host.token_last_use", "Last use", "Letzte Nutzung"),
    ("host.created", "Created", "Angelegt"),
    ("host.back", "Back to the hosts", "Zurück zu den Hosts"),
    (
        "token.shown_title",
        "Your new update token",
        "Ihr neues Update-Token",
    ),
    (
        "token.shown_hint",
        "Copy it now: it is shown only this once and stored only as a hash.",
        "Jetzt kopieren: Es wird nur dieses eine Mal angezeigt und nur als Hash gespeichert.",
    ),
    ("token.update_example", "Update with", "Aktualisieren mit"),
    ("log.title", "Action log", "Aktionsprotokoll"),
    ("log.when", "Time", "Zeit"),
    ("log.actor", "Actor", "Akteur"),
    ("log.action", "Action", "Aktion"),
    ("log.target", "Target", "Ziel"),
    ("log.detail", "Detail", "Detail"),
    ("log.source", "Source address", "Quelladresse"),
    ("log.csv", "Download as CSV", "Als CSV herunterladen"),
    ("log.older", "Older entries", "Ältere Einträge"),
    ("log.none", "No entries.", "Keine Einträge."),
    ("log.any", "any", "alle"),
    (
        "host.move_title",
        "Move to a customer",
        "Zu einem Kunden verschieben",
    ),
    ("host.move_to", "Customer", "Kunde"),
    ("host.move", "Move host", "Host verschieben"),
    (
        "host.move_hint",
        "Records, update token and history go along; the token keeps working. The customer's licence must have room.",
        "Einträge, Update-Token und Verlauf ziehen mit; das Token funktioniert weiter. Die Lizenz des Kunden muss Platz haben.",
    ),
    (
        "confirm.move_title",
        "Move this host?",
        "Diesen Host verschieben?",
    ),
    (
        "confirm.move_consequence",
        "The host then belongs to the customer (and counts against its licence); only its reseller can move it on.",
        "Der Host gehört dann dem Kunden (und zählt gegen dessen Lizenz); nur sein Reseller kann ihn weiter verschieben.",
    ),
    (
        "err.move_target",
        "The host cannot move there: choose one of the customers offered.",
        "Dorthin kann der Host nicht: Wählen Sie einen der angebotenen Kunden.",
    ),
    ("nav.link", "Reseller account", "Reseller-Konto"),
    (
        "rsp.title",
        "Linked with a reseller portal account",
        "Mit einem Reseller-Portal-Konto verbunden",
    ),
    (
        "rsp.two_factor",
        "This account is linked with a reseller account: it signs in through that account and uses its two-factor sign-in, which is managed in the reseller portal.",
        "Dieses Konto ist mit einem Reseller-Konto verbunden: Es meldet sich über dieses Konto an und nutzt dessen Zwei-Faktor-Anmeldung, die im Reseller-Portal verwaltet wird.",
    ),
    (
        "rsp.to_reseller",
        "Two-factor sign-in in the reseller portal",
        "Zwei-Faktor-Anmeldung im Reseller-Portal",
    ),
    (
        "link.title",
        "Link with a reseller account",
        "Mit einem Reseller-Konto verbinden",
    ),
    (
        "link.intro",
        "Linked, this account signs in with the reseller account (and its two-factor sign-in); its own password and updates with user name and password stop working, update tokens keep working. So every active host needs an update token that a router has used.",
        "Verbunden meldet sich dieses Konto mit dem Reseller-Konto (und dessen Zwei-Faktor-Anmeldung) an; sein eigenes Passwort und Updates mit Benutzername und Passwort funktionieren nicht mehr, Update-Tokens schon. Deshalb braucht jeder aktive Host ein Update-Token, das ein Router benutzt hat.",
    ),
    ("link.host_token", "Update token", "Update-Token"),
    ("link.first_use", "First use", "Erste Nutzung"),
    ("link.ready", "ready", "bereit"),
    (
        "link.blocking",
        "blocks the link",
        "verhindert die Verbindung",
    ),
    (
        "link.blocked",
        "These hosts block the link until each has an update token that has been used:",
        "Diese Hosts verhindern die Verbindung, bis jeder ein Update-Token hat, das benutzt wurde:",
    ),
    ("link.connect", "Connect accounts", "Konten verbinden"),
    (
        "link.reseller_name",
        "User name of the reseller account",
        "Benutzername des Reseller-Kontos",
    ),
    (
        "link.reseller_password",
        "Password of the reseller account",
        "Passwort des Reseller-Kontos",
    ),
    (
        "link.reseller_code",
        "Two-factor code of the reseller account",
        "Zwei-Faktor-Code des Reseller-Kontos",
    ),
    ("link.linked_with", "Linked with", "Verbunden mit"),
    ("link.unlink", "Release the link", "Verbindung lösen"),
    (
        "confirm.unlink_title",
        "Release the link to the reseller account?",
        "Die Verbindung zum Reseller-Konto lösen?",
    ),
    (
        "confirm.unlink_consequence",
        "The account then has no password: a mail to its address brings a link to choose one. Until then it cannot be signed in to; update tokens keep working.",
        "Das Konto hat dann kein Passwort: Eine Mail an seine Adresse bringt einen Link, um eines zu wählen. Bis dahin kann man sich nicht anmelden; Update-Tokens funktionieren weiter.",
    ),
    (
        "notice.linked",
        "The accounts are linked.",
        "Die Konten sind verbunden.",
    ),
    (
        "notice.unlinked",
        "The link is released. A mail to the account's address brings a link to choose a new password.",
        "Die Verbindung ist gelöst. Eine Mail an die Adresse des Kontos bringt einen Link, um ein neues Passwort zu wählen.",
    ),
    (
        "action.account.link",
        "Linked with a reseller account",
        "Mit einem Reseller-Konto verbunden",
    ),
    (
        "action.account.unlink",
        "Link to the reseller account released",
        "Verbindung zum Reseller-Konto gelöst",
    ),
    (
        "err.link_blocked",
        "Not yet: every active host needs an update token that has been used at least once (the hosts below).",
        "Noch nicht: Jeder aktive Host braucht ein Update-Token, das mindestens einmal benutzt wurde (die Hosts unten).",
    ),
    (
        "err.reseller_credentials",
        "The reseller account's name, password or code is wrong.",
        "Name, Passwort oder Code des Reseller-Kontos ist falsch.",
    ),
    (
        "err.already_linked",
        "This account or that reseller account is linked already: each links to exactly one.",
        "Dieses Konto oder jenes Reseller-Konto ist bereits verbunden: Jedes verbindet sich mit genau einem.",
    ),
    (
        "login.linked_title",
        "Sign in with your reseller account",
        "Mit Ihrem Reseller-Konto anmelden",
    ),
    (
        "login.linked_hint",
        "For a dynamic-DNS account linked to a reseller account: the reseller account's user name, password and two-factor code.",
        "Für ein Dynamic-DNS-Konto, das mit einem Reseller-Konto verbunden ist: Benutzername, Passwort und Zwei-Faktor-Code des Reseller-Kontos.",
    ),
    (
        "login.to_linked",
        "Sign in with reseller account",
        "Mit Reseller-Konto anmelden",
    ),
    (
        "login.linked",
        "This account is linked to a reseller account: its own password no longer signs in. Use \u{201c}Sign in with reseller account\u{201d}.",
        "Dieses Konto ist mit einem Reseller-Konto verbunden: Sein eigenes Passwort meldet nicht mehr an. Nutzen Sie \u{201e}Mit Reseller-Konto anmelden\u{201c}.",
    ),
    (
        "oauth.title",
        "Authorize an application",
        "Eine Anwendung autorisieren",
    ),
    (
        "oauth.asks",
        "asks to act for you with these permissions:",
        "möchte mit diesen Berechtigungen für Sie handeln:",
    ),
    (
        "oauth.as_user",
        "You are signed in as",
        "Sie sind angemeldet als",
    ),
    (
        "oauth.revocable",
        "You can revoke the access at any time under \u{201c}Applications\u{201d}.",
        "Sie können den Zugriff jederzeit unter \u{201e}Anwendungen\u{201c} widerrufen.",
    ),
    ("oauth.authorize", "Authorize", "Autorisieren"),
    ("oauth.deny", "Deny", "Ablehnen"),
    (
        "oauth.sign_in_first",
        "An application asks to act for you. Sign in first; you come back here afterwards.",
        "Eine Anwendung möchte für Sie handeln. Melden Sie sich zuerst an; danach kommen Sie hierher zurück.",
    ),
    (
        "oauth.sign_in_account",
        "Sign in with a dynamic-DNS account",
        "Mit einem Dynamic-DNS-Konto anmelden",
    ),
    (
        "oauth.sign_in_customer",
        "Sign in to a customer portal",
        "Im Kundenportal anmelden",
    ),
    (
        "oauth.sign_in_reseller",
        "Sign in to the reseller portal",
        "Im Reseller-Portal anmelden",
    ),
    (
        "oauth.unknown_client",
        "This application is not registered here. Nothing was granted.",
        "Diese Anwendung ist hier nicht registriert. Es wurde nichts gewährt.",
    ),
    (
        "oauth.wrong_redirect",
        "The application gave a return address other than the one registered for it. Nothing was granted.",
        "Die Anwendung hat eine andere Rücksprungadresse angegeben als die für sie registrierte. Es wurde nichts gewährt.",
    ),
    (
        "oauth.failed",
        "The request could not be checked. Try again.",
        "Die Anfrage konnte nicht geprüft werden. Versuchen Sie es erneut.",
    ),
    ("apps.title", "Applications", "Anwendungen"),
    (
        "apps.intro",
        "Applications you authorized to act for you. Revoking stops their access at once.",
        "Anwendungen, die Sie autorisiert haben, für Sie zu handeln. Ein Widerruf beendet ihren Zugriff sofort.",
    ),
    (
        "apps.none",
        "You have not authorized any application.",
        "Sie haben keine Anwendung autorisiert.",
    ),
    ("apps.name", "Application", "Anwendung"),
    ("apps.granted", "Authorized", "Autorisiert"),
    ("apps.revoke", "Revoke access", "Zugriff widerrufen"),
    (
        "confirm.app_revoke_title",
        "Revoke this application's access?",
        "Den Zugriff dieser Anwendung widerrufen?",
    ),
    (
        "confirm.app_revoke_consequence",
        "The application can no longer act for you; to use it again, authorize it again.",
        "Die Anwendung kann nicht mehr für Sie handeln; um sie wieder zu nutzen, autorisieren Sie sie erneut.",
    ),
    (
        "admin.applications",
        "Applications (OAuth)",
        "Anwendungen (OAuth)",
    ),
    (
        "admin.applications_hint",
        "Registered applications send their users (with PKCE, S256) to",
        "Registrierte Anwendungen schicken ihre Benutzer (mit PKCE, S256) an",
    ),
    (
        "admin.redirect_uri",
        "Redirect URI (https, or http on 127.0.0.1)",
        "Weiterleitungs-URI (https oder http auf 127.0.0.1)",
    ),
    (
        "admin.register_application",
        "Register application",
        "Anwendung registrieren",
    ),
    (
        "notice.application_registered",
        "Application registered; its client_id is in the list.",
        "Anwendung registriert; ihre client_id steht in der Liste.",
    ),
    ("scope.read_account", "see your account", "Ihr Konto sehen"),
    ("scope.read_hosts", "see hosts", "Hosts sehen"),
    (
        "scope.write_hosts",
        "create, change and delete hosts",
        "Hosts anlegen, ändern und löschen",
    ),
    (
        "scope.write_tokens",
        "create and revoke update tokens",
        "Update-Tokens erstellen und widerrufen",
    ),
    (
        "scope.read_log",
        "read the action log",
        "das Aktionsprotokoll lesen",
    ),
    (
        "scope.read_customers",
        "see customers (accounts)",
        "Kunden (Konten) sehen",
    ),
    (
        "scope.write_customers",
        "create and rename customers",
        "Kunden anlegen und umbenennen",
    ),
    ("scope.read_licences", "see licences", "Lizenzen sehen"),
    (
        "scope.write_licences",
        "create and change licences",
        "Lizenzen anlegen und ändern",
    ),
    ("scope.read_users", "see users", "Benutzer sehen"),
    (
        "scope.write_users",
        "invite users, change their roles, deactivate them",
        "Benutzer einladen, ihre Rollen ändern, sie deaktivieren",
    ),
    ("scope.read_resellers", "see resellers", "Reseller sehen"),
    (
        "scope.write_resellers",
        "create resellers",
        "Reseller anlegen",
    ),
    (
        "profile.email_pending",
        "Waiting for confirmation through the link sent to",
        "Wartet auf die Bestätigung über den Link an",
    ),
    (
        "notice.email_pending",
        "Saved. The new e-mail address takes effect once you open the link sent to it (24 hours).",
        "Gespeichert. Die neue E-Mail-Adresse gilt, sobald Sie den dorthin gesendeten Link öffnen (24 Stunden).",
    ),
    ("email.title", "New e-mail address", "Neue E-Mail-Adresse"),
    (
        "email.confirm_hint",
        "Make this the e-mail address of your account:",
        "Diese Adresse zur E-Mail-Adresse Ihres Kontos machen:",
    ),
    ("email.confirm", "Confirm the address", "Adresse bestätigen"),
    (
        "email.confirmed",
        "The e-mail address of your account is now",
        "Die E-Mail-Adresse Ihres Kontos ist jetzt",
    ),
    (
        "email.invalid",
        "This link is not valid (any more): it works once, for 24 hours. Ask for the change again in your profile.",
        "Dieser Link ist (nicht mehr) gültig: Er funktioniert einmal, 24 Stunden lang. Fordern Sie die Änderung im Profil erneut an.",
    ),
    ("log.from", "From", "Von"),
    ("log.until", "Until", "Bis"),
    ("log.filter", "Show", "Anzeigen"),
    ("log.customer", "Customer", "Kunde"),
    ("api.title", "Personal API tokens", "Persönliche API-Tokens"),
    (
        "api.intro",
        "Tokens for the JSON API under /api/v1 (document: /api/openapi.json). Send them as 'Authorization: Bearer <token>'.",
        "Tokens für die JSON-API unter /api/v1 (Beschreibung: /api/openapi.json). Senden als 'Authorization: Bearer <token>'.",
    ),
    ("api.name", "Name", "Name"),
    ("api.scopes", "Scopes", "Berechtigungen"),
    ("api.create", "Create API token", "API-Token erzeugen"),
    ("api.revoke", "Revoke", "Widerrufen"),
    ("api.none", "No API tokens.", "Keine API-Tokens."),
    (
        "api.shown_hint",
        "Your new API token. Copy it now: it is shown only this once.",
        "Ihr neues API-Token. Jetzt kopieren: Es wird nur dieses eine Mal angezeigt.",
    ),
    ("api.last_used", "Last used", "Zuletzt benutzt"),
    ("profile.title", "Profile", "Profil"),
    ("profile.language", "Language", "Sprache"),
    ("profile.save", "Save profile", "Profil speichern"),
    (
        "profile.password_title",
        "Change password",
        "Passwort ändern",
    ),
    ("profile.current", "Current password", "Aktuelles Passwort"),
    (
        "profile.current_for_email",
        "Current password (needed to change the e-mail address)",
        "Aktuelles Passwort (nötig, um die E-Mail-Adresse zu ändern)",
    ),
    (
        "enrol.password",
        "Your current password",
        "Ihr aktuelles Passwort",
    ),
    ("profile.new", "New password", "Neues Passwort"),
    ("profile.change", "Change password", "Passwort ändern"),
    ("admin.title", "Operator", "Betrieb"),
    ("admin.accounts", "Accounts", "Konten"),
    (
        "admin.move_title",
        "Move a host to another account",
        "Host in ein anderes Konto verschieben",
    ),
    (
        "admin.move_hint",
        "The host keeps its token, addresses and records.",
        "Der Host behält Token, Adressen und Einträge.",
    ),
    (
        "admin.host",
        "Host (full name)",
        "Host (vollständiger Name)",
    ),
    ("admin.to_account", "Target account", "Zielkonto"),
    ("admin.move", "Move host", "Host verschieben"),
    ("admin.enable", "Enable", "Aktivieren"),
    ("admin.disable", "Disable", "Deaktivieren"),
    ("admin.quota", "Host quota", "Host-Kontingent"),
    ("admin.set", "Set", "Setzen"),
    ("admin.hosts", "Hosts", "Hosts"),
    ("admin.role", "Role", "Rolle"),
    ("admin.admin", "operator", "Betreiber"),
    ("admin.user", "account", "Konto"),
    (
        "notice.signed_up",
        "Your account is ready.",
        "Ihr Konto ist eingerichtet.",
    ),
    ("notice.created", "Host created.", "Host angelegt."),
    ("notice.saved", "Saved.", "Gespeichert."),
    ("notice.deleted", "Host deleted.", "Host gelöscht."),
    ("notice.revoked", "Token revoked.", "Token widerrufen."),
    (
        "notice.shown_once",
        "That result was shown once already and is not kept. Nothing was done again.",
        "Dieses Ergebnis wurde bereits einmal angezeigt und wird nicht aufbewahrt. Es wurde nichts erneut ausgeführt.",
    ),
    (
        "notice.tokens_created",
        "update tokens were created. Download them now: the file is offered once.",
        "Update-Tokens wurden erstellt. Jetzt herunterladen: Die Datei wird nur einmal angeboten.",
    ),
    (
        "hosts.tokens_download",
        "Download spdyn_update_token.csv",
        "spdyn_update_token.csv herunterladen",
    ),
    ("action.signin.success", "Signed in", "Angemeldet"),
    (
        "action.signin.failure",
        "Sign-in failed",
        "Anmeldung fehlgeschlagen",
    ),
    (
        "action.signin.throttled",
        "Sign-in refused (too many failures)",
        "Anmeldung abgewiesen (zu viele Fehlversuche)",
    ),
    ("action.signin.attempt", "Sign-in attempt", "Anmeldeversuch"),
    ("action.signout", "Signed out", "Abgemeldet"),
    (
        "action.signup",
        "Account created (sign-up)",
        "Konto angelegt (Registrierung)",
    ),
    (
        "action.password.change",
        "Password changed",
        "Passwort geändert",
    ),
    (
        "action.password.reset_request",
        "Password reset requested",
        "Passwort-Zurücksetzung angefordert",
    ),
    (
        "action.password.reset_refused",
        "Password reset refused (limit)",
        "Passwort-Zurücksetzung abgewiesen (Grenze)",
    ),
    (
        "action.password.reset_throttled",
        "Password reset refused (too many requests)",
        "Passwort-Zurücksetzung abgewiesen (zu viele Anfragen)",
    ),
    (
        "action.password.reset",
        "Password reset",
        "Passwort zurückgesetzt",
    ),
    (
        "action.profile.change",
        "Profile changed",
        "Profil geändert",
    ),
    ("action.host.create", "Host created", "Host angelegt"),
    (
        "action.host.update",
        "Host settings changed",
        "Host-Einstellungen geändert",
    ),
    ("action.host.enable", "Host enabled", "Host aktiviert"),
    ("action.host.disable", "Host disabled", "Host deaktiviert"),
    ("action.host.delete", "Host deleted", "Host gelöscht"),
    (
        "action.host.move_out",
        "Host moved away",
        "Host wegverschoben",
    ),
    (
        "action.host.move_in",
        "Host moved here",
        "Host hierher verschoben",
    ),
    (
        "action.token.create",
        "Update token created",
        "Update-Token erstellt",
    ),
    (
        "action.token.exchange",
        "Update token exchanged",
        "Update-Token ausgetauscht",
    ),
    (
        "action.token.revoke",
        "Update token revoked",
        "Update-Token widerrufen",
    ),
    (
        "action.api_token.create",
        "API token created",
        "API-Token erstellt",
    ),
    (
        "action.api_token.revoke",
        "API token revoked",
        "API-Token widerrufen",
    ),
    (
        "action.account.enable",
        "Account enabled",
        "Konto aktiviert",
    ),
    (
        "action.account.disable",
        "Account disabled",
        "Konto deaktiviert",
    ),
    (
        "action.account.quota",
        "Host quota changed",
        "Host-Kontingent geändert",
    ),
    ("action.account.create", "Account created", "Konto angelegt"),
    (
        "action.signin.password",
        "Password accepted, code next",
        "Passwort angenommen, Code folgt",
    ),
    (
        "action.2fa.enable",
        "Two-factor sign-in switched on",
        "Zwei-Faktor-Anmeldung eingeschaltet",
    ),
    (
        "action.2fa.disable",
        "Two-factor sign-in switched off",
        "Zwei-Faktor-Anmeldung ausgeschaltet",
    ),
    (
        "action.2fa.failure",
        "Wrong two-factor code",
        "Falscher Zwei-Faktor-Code",
    ),
    (
        "action.2fa.throttled",
        "Two-factor code refused (too many failures)",
        "Zwei-Faktor-Code abgewiesen (zu viele Fehlversuche)",
    ),
    (
        "action.2fa.recovery_code",
        "Recovery code used",
        "Wiederherstellungscode benutzt",
    ),
    (
        "action.reseller.create",
        "Reseller created",
        "Reseller angelegt",
    ),
    ("action.user.create", "User created", "Benutzer angelegt"),
    (
        "action.oauth.client_create",
        "Application registered",
        "Anwendung registriert",
    ),
    (
        "action.oauth.authorize",
        "Application authorized",
        "Anwendung autorisiert",
    ),
    (
        "action.oauth.deny",
        "Application denied",
        "Anwendung abgelehnt",
    ),
    (
        "action.oauth.revoke",
        "Application's access revoked",
        "Zugriff der Anwendung widerrufen",
    ),
    (
        "action.oauth.code_replay",
        "Authorization code used twice: access revoked",
        "Autorisierungscode doppelt verwendet: Zugriff widerrufen",
    ),
    (
        "err.redirect_uri",
        "The redirect URI must be an https address, or http on 127.0.0.1, [::1] or localhost, without a #fragment.",
        "Die Weiterleitungs-URI muss eine https-Adresse sein oder http auf 127.0.0.1, [::1] oder localhost, ohne #Fragment.",
    ),
    (
        "action.email.change_request",
        "New e-mail address asked for",
        "Neue E-Mail-Adresse angefordert",
    ),
    (
        "action.email.change",
        "E-mail address changed",
        "E-Mail-Adresse geändert",
    ),
    ("action.user.role", "Role changed", "Rolle geändert"),
    (
        "action.user.deactivate",
        "User deactivated",
        "Benutzer deaktiviert",
    ),
    (
        "action.user.reactivate",
        "User reactivated",
        "Benutzer reaktiviert",
    ),
    (
        "action.customer.create",
        "Customer created",
        "Kunde angelegt",
    ),
    (
        "action.customer.update",
        "Customer changed",
        "Kunde geändert",
    ),
    (
        "action.customer.open",
        "Customer portal opened by the reseller",
        "Kundenportal vom Reseller geöffnet",
    ),
    (
        "action.licence.create",
        "Licence created",
        "Lizenz angelegt",
    ),
    (
        "action.licence.update",
        "Licence changed",
        "Lizenz geändert",
    ),
    (
        "action.licence.grace",
        "Licence grace period ended or renewed",
        "Lizenz-Kulanzzeit beendet oder erneuert",
    ),
    ("detail.bulk", "bulk action", "Sammelaktion"),
    (
        "detail.first_admin",
        "first administrator",
        "erster Administrator",
    ),
    ("confirm.cancel", "Cancel", "Abbrechen"),
    (
        "recovery.download",
        "Download as a text file",
        "Als Textdatei herunterladen",
    ),
    (
        "hosts.quota_full",
        "Every host you may have exists: delete one, or ask for more (licence or quota), to add another.",
        "Alle Hosts, die Sie haben dürfen, existieren: Löschen Sie einen oder fragen Sie nach mehr (Lizenz oder Kontingent), um einen weiteren anzulegen.",
    ),
    ("guide.dns", "What DNS answers", "Was DNS antwortet"),
    (
        "guide.no_address",
        "Nothing yet: the host has no address until its first update (the name exists, with no records).",
        "Noch nichts: Der Host hat bis zum ersten Update keine Adresse (der Name existiert, ohne Einträge).",
    ),
    (
        "guide.disabled",
        "Nothing: the host is disabled and does not resolve.",
        "Nichts: Der Host ist deaktiviert und wird nicht aufgelöst.",
    ),
    ("guide.title", "Set up your router", "Router einrichten"),
    (
        "guide.intro",
        "Enter these settings in your router or client. Replace <token> with the host's update token (shown once when it was made; exchange it below if you no longer have it).",
        "Tragen Sie diese Einstellungen in Ihren Router oder Client ein. Ersetzen Sie <token> durch das Update-Token des Hosts (einmal angezeigt, als es erstellt wurde; tauschen Sie es unten aus, wenn Sie es nicht mehr haben).",
    ),
    ("guide.copy", "Copy", "Kopieren"),
    (
        "guide.limits",
        "Limits (an update beyond them answers abuse)",
        "Grenzen (ein Update darüber hinaus wird mit abuse beantwortet)",
    ),
    (
        "guide.limit_interval",
        "Least time between two changes of an address",
        "Mindestabstand zwischen zwei Änderungen einer Adresse",
    ),
    (
        "guide.limit_nochg",
        "Updates that change nothing (nochg)",
        "Updates ohne Änderung (nochg)",
    ),
    (
        "guide.limit_auth",
        "Failed authentications from one address",
        "Fehlgeschlagene Anmeldungen von einer Adresse",
    ),
    ("guide.locked_for", "host locked for", "Host gesperrt für"),
    (
        "guide.blocked_for",
        "address blocked for",
        "Adresse gesperrt für",
    ),
    ("guide.copied", "Copied", "Kopiert"),
    (
        "guide.replies",
        "What the replies mean",
        "Was die Antworten bedeuten",
    ),
    (
        "guide.reply_good",
        "The change was accepted and is served.",
        "Die Änderung wurde angenommen und wird ausgeliefert.",
    ),
    (
        "guide.reply_nochg",
        "Nothing changed: the addresses were already set. Do not repeat such updates often.",
        "Keine Änderung: Die Adressen waren bereits gesetzt. Solche Updates nicht oft wiederholen.",
    ),
    (
        "guide.reply_badauth",
        "Wrong host name or token. Check both; after repeated failures the client is blocked for a while.",
        "Falscher Hostname oder falsches Token. Beides prüfen; nach wiederholten Fehlern wird der Client eine Weile gesperrt.",
    ),
    (
        "guide.reply_abuse",
        "Too many updates or failures: the host or client is blocked; the Retry-After header says for how many seconds. Update only when the address changes.",
        "Zu viele Updates oder Fehler: Host oder Client ist gesperrt; der Retry-After-Header nennt die Sekunden. Nur aktualisieren, wenn sich die Adresse ändert.",
    ),
    (
        "guide.reply_fatal",
        "The host is disabled.",
        "Der Host ist deaktiviert.",
    ),
    (
        "guide.reply_donator",
        "The licence has ended: the host keeps resolving but takes no updates.",
        "Die Lizenz ist abgelaufen: Der Host wird weiter aufgelöst, nimmt aber keine Updates an.",
    ),
    (
        "guide.reply_badparam",
        "A parameter is malformed (e.g. the address); nothing was changed.",
        "Ein Parameter ist fehlerhaft (z. B. die Adresse); es wurde nichts geändert.",
    ),
    (
        "guide.reply_911",
        "The server takes no changes right now; try again later.",
        "Der Server nimmt gerade keine Änderungen an; später erneut versuchen.",
    ),
    (
        "confirm.type_name",
        "Type the host name to confirm",
        "Zur Bestätigung den Hostnamen eingeben",
    ),
    (
        "confirm.delete_title",
        "Delete this host?",
        "Diesen Host löschen?",
    ),
    (
        "confirm.exchange_title",
        "Exchange the update token?",
        "Update-Token austauschen?",
    ),
    (
        "confirm.revoke_title",
        "Revoke the update token?",
        "Update-Token widerrufen?",
    ),
    (
        "confirm.revoke_consequence",
        "Updates with the current token are refused at once; the host keeps its addresses until you create a new token.",
        "Updates mit dem bisherigen Token werden sofort abgelehnt; der Host behält seine Adressen, bis Sie ein neues Token erstellen.",
    ),
    (
        "confirm.api_revoke_title",
        "Revoke this API token?",
        "Dieses API-Token widerrufen?",
    ),
    (
        "confirm.api_revoke_consequence",
        "Every request with this token is refused at once. Scripts that use it stop working until they get a new token.",
        "Jede Anfrage mit diesem Token wird sofort abgelehnt. Skripte, die es verwenden, funktionieren erst mit einem neuen Token wieder.",
    ),
    (
        "confirm.account_disable_title",
        "Disable this account?",
        "Dieses Konto deaktivieren?",
    ),
    (
        "confirm.account_disable_consequence",
        "Its users can no longer sign in, its hosts stop resolving and their updates are refused until an operator enables it again.",
        "Seine Benutzer können sich nicht mehr anmelden, seine Hosts werden nicht mehr aufgelöst und ihre Updates abgelehnt, bis ein Operator es wieder aktiviert.",
    ),
    (
        "confirm.disable_title",
        "Disable this host?",
        "Diesen Host deaktivieren?",
    ),
    (
        "confirm.disable_consequence",
        "The host stops resolving and its updates are refused until you enable it again.",
        "Der Host wird nicht mehr aufgelöst und seine Updates werden abgelehnt, bis Sie ihn wieder aktivieren.",
    ),
    (
        "err.confirm_name",
        "The name typed is not the host's name. Nothing was deleted.",
        "Der eingegebene Name ist nicht der Name des Hosts. Es wurde nichts gelöscht.",
    ),
    ("notice.moved", "Host moved.", "Host verschoben."),
    (
        "notice.password_changed",
        "Password changed. Other sessions were signed out.",
        "Passwort geändert. Andere Sitzungen wurden abgemeldet.",
    ),
    (
        "notice.reset_done",
        "Your password was set. Sign in with it.",
        "Ihr Passwort wurde gesetzt. Melden Sie sich damit an.",
    ),
    (
        "notice.no_missing",
        "Every host has an update token already.",
        "Jeder Host hat bereits ein Update-Token.",
    ),
    (
        "err.name",
        "Account names are 2 to 64 characters of a-z, 0-9, '.', '_', '@' and '-'.",
        "Kontonamen bestehen aus 2 bis 64 Zeichen a-z, 0-9, '.', '_', '@' und '-'.",
    ),
    (
        "err.email",
        "This is not an e-mail address.",
        "Das ist keine E-Mail-Adresse.",
    ),
    (
        "err.password",
        "A password needs 10 to 1024 characters.",
        "Ein Passwort braucht 10 bis 1024 Zeichen.",
    ),
    (
        "err.current_password",
        "The current password is wrong.",
        "Das aktuelle Passwort ist falsch.",
    ),
    (
        "err.ttl",
        "The TTL must be between 30 and 86400 seconds.",
        "Die TTL muss zwischen 30 und 86400 Sekunden liegen.",
    ),
    (
        "err.label",
        "A host name is one label of 1 to 63 letters, digits and inner hyphens, under an offered zone.",
        "Ein Hostname ist ein Label aus 1 bis 63 Buchstaben, Ziffern und inneren Bindestrichen unter einer angebotenen Zone.",
    ),
    (
        "err.taken",
        "This name is taken.",
        "Dieser Name ist vergeben.",
    ),
    (
        "err.quota",
        "Your host quota is used up.",
        "Ihr Host-Kontingent ist ausgeschöpft.",
    ),
    (
        "err.scopes",
        "Choose at least one scope and a name.",
        "Mindestens eine Berechtigung und einen Namen wählen.",
    ),
    (
        "err.no_token",
        "The host has no update token.",
        "Der Host hat kein Update-Token.",
    ),
    (
        "nav.two_factor",
        "Two-factor sign-in",
        "Zwei-Faktor-Anmeldung",
    ),
    (
        "banner.2fa",
        "Operators must use two-factor sign-in: enable it now to keep your access.",
        "Betreiber müssen die Zwei-Faktor-Anmeldung nutzen: Jetzt einschalten, um den Zugang zu behalten.",
    ),
    ("banner.enable", "Enable 2FA", "2FA aktivieren"),
    ("code.title", "Enter your code", "Code eingeben"),
    (
        "code.intro",
        "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
        "Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App oder einen Ihrer Wiederherstellungscodes ein.",
    ),
    ("code.label", "Code", "Code"),
    ("code.cancel", "Cancel sign-in", "Anmeldung abbrechen"),
    ("2fa.title", "Two-factor sign-in", "Zwei-Faktor-Anmeldung"),
    (
        "2fa.on",
        "Two-factor sign-in is on: signing in asks for a code from your authenticator app.",
        "Die Zwei-Faktor-Anmeldung ist eingeschaltet: Die Anmeldung fragt nach einem Code aus Ihrer Authenticator-App.",
    ),
    (
        "2fa.off",
        "Two-factor sign-in is off: signing in asks for your password only.",
        "Die Zwei-Faktor-Anmeldung ist ausgeschaltet: Die Anmeldung fragt nur nach Ihrem Passwort.",
    ),
    (
        "2fa.mandatory",
        "Operators must use two-factor sign-in.",
        "Betreiber müssen die Zwei-Faktor-Anmeldung nutzen.",
    ),
    (
        "2fa.codes_left",
        "Unused recovery codes",
        "Unbenutzte Wiederherstellungscodes",
    ),
    (
        "2fa.disable_title",
        "Switch off, or move to a new device",
        "Ausschalten oder auf ein neues Gerät umziehen",
    ),
    (
        "2fa.disable_hint",
        "Needs your password and a current code (or a recovery code). To move to a new device, switch it off and enable it again.",
        "Braucht Ihr Passwort und einen aktuellen Code (oder einen Wiederherstellungscode). Für ein neues Gerät ausschalten und wieder einschalten.",
    ),
    (
        "2fa.disable",
        "Switch off two-factor sign-in",
        "Zwei-Faktor-Anmeldung ausschalten",
    ),
    (
        "enrol.title",
        "Enable two-factor sign-in",
        "Zwei-Faktor-Anmeldung einschalten",
    ),
    (
        "enrol.step_reset",
        "Your password is set. Step 3 of 3: protect your account with a second factor.",
        "Ihr Passwort ist gesetzt. Schritt 3 von 3: Schützen Sie Ihr Konto mit einem zweiten Faktor.",
    ),
    (
        "enrol.required",
        "Two-factor sign-in is mandatory for your account: enable it to continue.",
        "Die Zwei-Faktor-Anmeldung ist für Ihr Konto Pflicht: Schalten Sie sie ein, um fortzufahren.",
    ),
    (
        "enrol.scan",
        "Scan this QR code with an authenticator app (for example Aegis, FreeOTP, Google Authenticator or 1Password).",
        "Scannen Sie diesen QR-Code mit einer Authenticator-App (zum Beispiel Aegis, FreeOTP, Google Authenticator oder 1Password).",
    ),
    (
        "enrol.qr_label",
        "QR code for the authenticator app",
        "QR-Code für die Authenticator-App",
    ),
    (
        "enrol.manual",
        "Or type this key into the app (time-based, SHA-1, 6 digits, 30 seconds):",
        "Oder tippen Sie diesen Schlüssel in die App ein (zeitbasiert, SHA-1, 6 Ziffern, 30 Sekunden):",
    ),
    ("enrol.code", "Code from the app", "Code aus der App"),
    (
        "enrol.confirm",
        "Confirm and enable",
        "Bestätigen und einschalten",
    ),
    ("enrol.skip", "Not now", "Nicht jetzt"),
    (
        "recovery.title",
        "Your recovery codes",
        "Ihre Wiederherstellungscodes",
    ),
    (
        "recovery.hint",
        "Two-factor sign-in is on. Keep these codes somewhere safe: each signs you in once if you lose your device. They are shown only this once.",
        "Die Zwei-Faktor-Anmeldung ist eingeschaltet. Bewahren Sie diese Codes sicher auf: Jeder meldet Sie einmal an, falls Sie Ihr Gerät verlieren. Sie werden nur dieses eine Mal angezeigt.",
    ),
    ("recovery.continue", "Continue", "Weiter"),
    (
        "notice.2fa_disabled",
        "Two-factor sign-in is off.",
        "Die Zwei-Faktor-Anmeldung ist ausgeschaltet.",
    ),
    (
        "notice.recovery_used",
        "You signed in with a recovery code; it cannot be used again. The number left is shown below.",
        "Sie haben sich mit einem Wiederherstellungscode angemeldet; er ist nun verbraucht. Wie viele übrig sind, steht unten.",
    ),
    (
        "err.code",
        "The code is wrong or was used already.",
        "Der Code ist falsch oder wurde bereits benutzt.",
    ),
    ("err.language", "Unknown language.", "Unbekannte Sprache."),
    (
        "err.quota_value",
        "The quota must be a number between 0 and 100000.",
        "Das Kontingent muss eine Zahl zwischen 0 und 100000 sein.",
    ),
    (
        "err.limit",
        "The limit must be between 1 and 1000.",
        "Das Limit muss zwischen 1 und 1000 liegen.",
    ),
    (
        "err.org_name",
        "A name is 1 to 200 characters, without control characters.",
        "Ein Name hat 1 bis 200 Zeichen, ohne Steuerzeichen.",
    ),
    (
        "err.quantity",
        "The quantity must be between 1 and 100000.",
        "Die Anzahl muss zwischen 1 und 100000 liegen.",
    ),
    (
        "err.quantity_below_use",
        "The quantity cannot be below the number of hosts the licence already covers.",
        "Die Anzahl darf nicht unter der Zahl der Hosts liegen, die die Lizenz schon abdeckt.",
    ),
    (
        "err.dates",
        "Dates are YYYY-MM-DD, and a licence ends on or after the day it starts.",
        "Daten haben die Form JJJJ-MM-TT, und eine Lizenz endet frühestens an ihrem ersten Tag.",
    ),
    ("err.product", "Unknown product.", "Unbekanntes Produkt."),
    (
        "err.unknown_host",
        "No such host (hosts of a reseller's customers are not moved here).",
        "Diesen Host gibt es nicht (Hosts von Kunden eines Resellers werden hier nicht verschoben).",
    ),
    (
        "err.unknown_account",
        "No such account.",
        "Dieses Konto gibt es nicht.",
    ),
    (
        "err.same_owner",
        "The host already belongs to this account.",
        "Der Host gehört schon zu diesem Konto.",
    ),
    (
        "err.disable_self",
        "You cannot disable your own account; another admin can.",
        "Sie können Ihr eigenes Konto nicht deaktivieren; das kann ein anderer Administrator.",
    ),
    (
        "err.action",
        "Not an action of the log.",
        "Keine Aktion des Protokolls.",
    ),
    (
        "err.role",
        "Choose a role: admin or read-only.",
        "Wählen Sie eine Rolle: Administrator oder nur lesend.",
    ),
    (
        "err.last_admin",
        "This is the tenant's last active admin: make another user an admin first.",
        "Dies ist der letzte aktive Administrator: machen Sie zuerst einen anderen Benutzer zum Administrator.",
    ),
    (
        "err.form_too_large",
        "The form is too large.",
        "Das Formular ist zu groß.",
    ),
    (
        "err.two_factor_on",
        "Two-factor sign-in is on already.",
        "Die Zwei-Faktor-Anmeldung ist bereits eingeschaltet.",
    ),
    (
        "err.no_enrolment",
        "No two-factor enrolment is under way; start again.",
        "Es läuft keine Einrichtung der Zwei-Faktor-Anmeldung; bitte neu beginnen.",
    ),
    (
        "err.first_admin",
        "accounts.first_admin names an account that is no operator.",
        "accounts.first_admin nennt ein Konto, das kein Betreiber ist.",
    ),
    ("err.not_found", "Not found.", "Nicht gefunden."),
    (
        "err.unauthorized",
        "Authentication required.",
        "Anmeldung erforderlich.",
    ),
    ("err.forbidden", "Not allowed.", "Nicht erlaubt."),
    (
        "err.read_only",
        "Your access is read-only: you can see everything of the tenant and change nothing.",
        "Ihr Zugang ist schreibgeschützt: Sie sehen alles im Mandanten und ändern nichts.",
    ),
    (
        "err.csrf",
        "The form has expired or did not come from this site. Go back, reload the page and try again.",
        "Das Formular ist abgelaufen oder stammt nicht von dieser Seite. Bitte zurückgehen, die Seite neu laden und erneut versuchen.",
    ),
    (
        "err.licence_expired",
        "The licence has expired: nothing can be changed under it until the reseller renews it.",
        "Die Lizenz ist abgelaufen: Unter ihr lässt sich nichts ändern, bis der Reseller sie verlängert.",
    ),
    (
        "err.no_customer",
        "Choose a customer first.",
        "Bitte zuerst einen Kunden wählen.",
    ),
    (
        "err.second_factor_required",
        "This account uses two-factor sign-in: send the code from the authenticator app (or a recovery code) too.",
        "Dieses Konto nutzt die Zwei-Faktor-Anmeldung: Bitte auch den Code der Authenticator-App (oder einen Wiederherstellungscode) senden.",
    ),
    (
        "err.two_factor_required",
        "Two-factor sign-in is mandatory for this account: enable it in the portal first.",
        "Die Zwei-Faktor-Anmeldung ist für dieses Konto Pflicht: Bitte zuerst im Portal einschalten.",
    ),
    (
        "err.internal",
        "Something went wrong on our side. Try again later.",
        "Bei uns ist ein Fehler aufgetreten. Bitte später erneut versuchen.",
    ),
    (
        "err.busy",
        "The service is busy. Try again in a moment.",
        "Der Dienst ist ausgelastet. Bitte gleich noch einmal versuchen.",
    ),
    (
        "err.request_timeout",
        "The request took too long.",
        "Die Anfrage hat zu lange gedauert.",
    ),
    ("acting.as", "Acting as reseller", "Handelnd als Reseller"),
    ("log.of_reseller", "reseller", "Reseller"),
    (
        "hosts.stale",
        "no update for a long time",
        "lange kein Update",
    ),
    ("log.via_api_token", "API token", "API-Token"),
    ("log.via_cli", "command line", "Kommandozeile"),
    ("acting.in", "in the portal of", "im Portal von"),
    (
        "acting.leave",
        "Leave this customer",
        "Diesen Kunden verlassen",
    ),
    ("admin.resellers", "Resellers", "Reseller"),
    (
        "admin.reseller_name",
        "Name of the reseller",
        "Name des Resellers",
    ),
    (
        "admin.reseller_user",
        "Its first portal user (user name)",
        "Sein erster Portal-Benutzer (Benutzername)",
    ),
    (
        "admin.create_reseller",
        "Create reseller",
        "Reseller anlegen",
    ),
    (
        "admin.reseller_hint",
        "The user gets a mail with a link to choose a password; two-factor sign-in is set up at the first sign-in.",
        "Der Benutzer erhält eine Mail mit einem Link zur Wahl eines Passworts; die Zwei-Faktor-Anmeldung wird bei der ersten Anmeldung eingerichtet.",
    ),
    ("customers.title", "Customers", "Kunden"),
    (
        "customers.search",
        "Search by name or customer number",
        "Suche nach Name oder Kundennummer",
    ),
    ("customers.search_button", "Search", "Suchen"),
    ("customers.none", "No customers yet.", "Noch keine Kunden."),
    ("customers.name", "Name", "Name"),
    ("customers.number", "Customer number", "Kundennummer"),
    ("customers.domain", "Tenant domain", "Mandanten-Domain"),
    ("customers.licence", "Licence", "Lizenz"),
    ("customers.new", "New customer", "Neuer Kunde"),
    ("customers.create", "Create customer", "Kunde anlegen"),
    (
        "customers.signin_url",
        "Sign-in page of its users",
        "Anmeldeseite seiner Benutzer",
    ),
    (
        "customers.open",
        "Open the customer's portal",
        "Portal des Kunden öffnen",
    ),
    (
        "customers.open_hint",
        "Only with a running licence. Everything you do there is logged with your name.",
        "Nur mit laufender Lizenz. Alles, was Sie dort tun, wird mit Ihrem Namen protokolliert.",
    ),
    ("customers.rename", "Rename", "Umbenennen"),
    ("dash.title", "Dashboard", "Dashboard"),
    (
        "dash.all_clear",
        "Nothing needs your attention.",
        "Nichts braucht Ihre Aufmerksamkeit.",
    ),
    (
        "dash.licences",
        "Licences ended or ending soon",
        "Abgelaufene oder bald ablaufende Lizenzen",
    ),
    ("dash.valid_until", "valid until", "gültig bis"),
    (
        "dash.stale_hosts",
        "Hosts not updated for a while",
        "Länger nicht aktualisierte Hosts",
    ),
    ("dash.days", "days", "Tage"),
    (
        "dash.unused_tokens",
        "Update tokens never used",
        "Nie benutzte Update-Tokens",
    ),
    ("dash.token_since", "created", "erstellt"),
    (
        "dash.users_without_2fa",
        "Users without two-factor sign-in",
        "Benutzer ohne Zwei-Faktor-Anmeldung",
    ),
    ("hosts.licence", "Licence", "Lizenz"),
    ("licence.pending", "not yet valid", "noch nicht gültig"),
    ("licence.valid", "valid", "gültig"),
    ("licence.expiring", "expiring soon", "läuft bald ab"),
    ("licence.expired", "expired", "abgelaufen"),
    (
        "licence.past_grace",
        "expired, updates refused",
        "abgelaufen, Updates abgelehnt",
    ),
    ("licence.none", "no licence", "keine Lizenz"),
    ("licences.none", "No licences.", "Keine Lizenzen."),
    ("licences.one", "Licence", "Lizenz"),
    ("licences.product", "Product", "Produkt"),
    (
        "licences.dyndns",
        "Dynamic DNS (quantity = hosts)",
        "Dynamisches DNS (Anzahl = Hosts)",
    ),
    ("licences.quantity", "Hosts", "Hosts"),
    ("licences.used", "Hosts under it", "Hosts darunter"),
    ("licences.valid_from", "Valid from", "Gültig ab"),
    ("licences.valid_until", "Valid until", "Gültig bis"),
    ("licences.state", "State", "Zustand"),
    ("licences.new", "New licence", "Neue Lizenz"),
    ("licences.create", "Create licence", "Lizenz erstellen"),
    (
        "licences.edit",
        "Change (renew, more hosts)",
        "Ändern (verlängern, mehr Hosts)",
    ),
    (
        "login.tenant_title",
        "Sign in to your company's portal",
        "Anmeldung im Portal Ihres Unternehmens",
    ),
    (
        "login.reseller_title",
        "Reseller sign-in",
        "Reseller-Anmeldung",
    ),
    ("login.tenant_domain", "Tenant domain", "Mandanten-Domain"),
    (
        "login.tenant_domain_hint",
        "For example 123456.tenants.example.net: it is in the address of your portal's sign-in page.",
        "Zum Beispiel 123456.tenants.example.net: Sie steht in der Adresse der Anmeldeseite Ihres Portals.",
    ),
    ("login.user", "User name", "Benutzername"),
    (
        "login.to_standalone",
        "Sign in with a dynamic-DNS account",
        "Mit einem DynDNS-Konto anmelden",
    ),
    (
        "login.to_tenant",
        "Sign in to a company's portal (tenant)",
        "Im Portal eines Unternehmens anmelden (Mandant)",
    ),
    (
        "login.to_reseller",
        "Reseller sign-in",
        "Reseller-Anmeldung",
    ),
    ("nav.dashboard", "Dashboard", "Dashboard"),
    ("nav.licences", "Licences", "Lizenzen"),
    ("nav.customers", "Customers", "Kunden"),
    ("nav.reseller_licences", "All licences", "Alle Lizenzen"),
    ("nav.select", "Customer selection", "Kundenauswahl"),
    (
        "notice.customer_created",
        "Customer created.",
        "Kunde angelegt.",
    ),
    (
        "notice.licence_created",
        "Licence created.",
        "Lizenz erstellt.",
    ),
    (
        "notice.user_created",
        "User created; a mail with a link to choose a password is on its way.",
        "Benutzer angelegt; eine Mail mit einem Link zur Passwortwahl ist unterwegs.",
    ),
    (
        "notice.reseller_created",
        "Reseller created; its user gets a mail with a link to choose a password.",
        "Reseller angelegt; sein Benutzer erhält eine Mail mit einem Link zur Passwortwahl.",
    ),
    ("panel.title", "Notifications", "Benachrichtigungen"),
    (
        "profile.digest",
        "Mail me a daily digest of what needs attention",
        "Mir täglich eine Übersicht dessen mailen, was Aufmerksamkeit braucht",
    ),
    ("select.title", "Customer selection", "Kundenauswahl"),
    (
        "select.hint",
        "Customers with a running licence. Opening one shows its portal as its users see it.",
        "Kunden mit laufender Lizenz. Öffnen zeigt sein Portal, wie seine Benutzer es sehen.",
    ),
    (
        "select.none",
        "No customer has a running licence.",
        "Kein Kunde hat eine laufende Lizenz.",
    ),
    ("users.title", "Users", "Benutzer"),
    ("users.active", "active", "aktiv"),
    ("users.inactive", "deactivated", "deaktiviert"),
    ("users.deactivate", "Deactivate", "Deaktivieren"),
    ("users.reactivate", "Reactivate", "Reaktivieren"),
    ("users.invite", "Invite a user", "Benutzer einladen"),
    (
        "notice.user_invited",
        "Invitation sent.",
        "Einladung verschickt.",
    ),
    (
        "confirm.user_deactivate_title",
        "Deactivate this user?",
        "Diesen Benutzer deaktivieren?",
    ),
    (
        "confirm.user_deactivate_consequence",
        "The user is signed out at once and cannot sign in until an admin reactivates it; its API tokens stop working.",
        "Der Benutzer wird sofort abgemeldet und kann sich erst wieder anmelden, wenn ein Administrator ihn reaktiviert; seine API-Tokens funktionieren nicht mehr.",
    ),
    ("users.none", "No users yet.", "Noch keine Benutzer."),
    ("users.role", "Role", "Rolle"),
    ("users.admin", "Admin", "Admin"),
    ("users.read_only", "Read-only", "Nur lesen"),
    ("users.new", "New user", "Neuer Benutzer"),
    ("users.create", "Create user", "Benutzer anlegen"),
    (
        "users.create_hint",
        "The user gets a mail with a link to choose a password; admins set up two-factor sign-in right after.",
        "Der Benutzer erhält eine Mail mit einem Link zur Passwortwahl; Admins richten direkt danach die Zwei-Faktor-Anmeldung ein.",
    ),
    (
        "err.generic",
        "The input could not be accepted.",
        "Die Eingabe konnte nicht angenommen werden.",
    ),
];

/// Texts in one language.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Language);

impl Tr {
    /// The text for `key`; the key itself when unknown (the test prevents it).
    pub fn t(&self, key: &str) -> &'static str {
        TEXTS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, en, de)| match self.0 {
                Language::En => *en,
                Language::De => *de,
            })
            .unwrap_or("?")
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// An action-log detail for people: a code (`@bulk`) in this language,
    /// anything else (values, names) as it is.
    pub fn detail<'a>(&self, detail: &'a str) -> &'a str {
        match detail.strip_prefix('@') {
            Some(code) => match self.t(&format!("detail.{code}")) {
                "?" => detail,
                text => text,
            },
            None => detail,
        }
    }

    /// Who acted, for people: the name, the reseller a reseller user acted
    /// for, and what it came through (`api:<token name>`, `cli`).
    pub fn actor(&self, name: &str, reseller: Option<&str>, via: Option<&str>) -> String {
        let mut out = name.to_owned();
        if let Some(reseller) = reseller {
            out.push_str(&format!(" ({} {reseller})", self.t("log.of_reseller")));
        }
        match via.map(|v| v.split_once(':').unwrap_or((v, ""))) {
            Some(("api", token)) => out.push_str(&format!(
                " ({} \u{201c}{token}\u{201d})",
                self.t("log.via_api_token")
            )),
            Some(("cli", _)) => out.push_str(&format!(" ({})", self.t("log.via_cli"))),
            Some((other, _)) => out.push_str(&format!(" ({other})")),
            None => {}
        }
        out
    }

    /// An action-log code for people (`token.exchange` → "Update token
    /// exchanged"); the code itself if the table has none.
    pub fn action<'a>(&self, code: &'a str) -> &'a str {
        let key = format!("action.{code}");
        match self.t(&key) {
            "?" => code,
            text => text,
        }
    }
}

/// The text key that says what an API scope allows (the consent page).
pub fn scope_key(scope: crate::domain::scopes::Scope) -> String {
    format!("scope.{}", scope.as_str().replace(':', "_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_used_by_a_template_has_both_translations() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut used = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split("t(\"").skip(1) {
                let key = piece.split('"').next().unwrap();
                assert!(
                    TEXTS
                        .iter()
                        .any(|(k, en, de)| *k == key && !en.is_empty() && !de.is_empty()),
                    "missing text {key}"
                );
                used += 1;
            }
        }
        assert!(used > 50, "templates use the texts");
    }

    #[test]
    fn every_action_of_the_log_has_a_text() {
        for action in crate::db::log::Action::ALL {
            let code = action.as_str();
            assert_ne!(Tr(Language::De).action(code), code, "no text for {code}");
        }
        assert_eq!(
            Tr(Language::De).action("token.exchange"),
            "Update-Token ausgetauscht"
        );
        assert_eq!(Tr(Language::En).action("no.such"), "no.such");
        for code in [
            crate::db::log::detail::BULK,
            crate::db::log::detail::FIRST_ADMIN,
        ] {
            assert_ne!(Tr(Language::De).detail(code), code, "no text for {code}");
        }
        assert_eq!(Tr(Language::De).detail("@bulk"), "Sammelaktion");
        assert_eq!(Tr(Language::De).detail("ttl=60"), "ttl=60");
    }

    #[test]
    fn every_scope_has_a_text_for_the_consent_page() {
        for scope in crate::domain::scopes::Scope::ALL {
            let key = scope_key(scope);
            assert_ne!(Tr(Language::De).t(&key), "?", "{key}");
        }
    }

    #[test]
    fn actors_are_worded_in_the_readers_language() {
        let (en, de) = (Tr(Language::En), Tr(Language::De));
        assert_eq!(en.actor("u", None, None), "u");
        assert_eq!(en.actor("u", Some("R"), None), "u (reseller R)");
        assert_eq!(
            de.actor("u", Some("R"), Some("api:ci")),
            "u (Reseller R) (API-Token \u{201c}ci\u{201d})"
        );
        assert_eq!(en.actor("root", None, Some("cli")), "root (command line)");
        assert_eq!(de.actor("root", None, Some("cli")), "root (Kommandozeile)");
    }

    #[test]
    fn keys_are_unique_and_languages_differ_somewhere() {
        for (i, (key, _, _)) in TEXTS.iter().enumerate() {
            assert!(
                !TEXTS[i + 1..].iter().any(|(k, _, _)| k == key),
                "duplicate {key}"
            );
        }
        assert_eq!(Tr(Language::De).t("nav.signout"), "Abmelden");
        assert_eq!(Tr(Language::En).t("nav.signout"), "Sign out");
    }
}
