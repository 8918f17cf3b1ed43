//! Interface texts in English and German. Templates ask `tr.t("key")`; a
//! test checks that every key used in a template exists here, so a missing
//! translation fails the build's tests instead of showing a raw key.

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
}

/// The text of an error shown on a form, in the page's language.
pub fn error_text(tr: Tr, error: &crate::error::Error) -> &'static str {
    use crate::error::Error;
    let key = match error {
        Error::Invalid { field, .. } => match *field {
            "name" => "err.name",
            "email" => "err.email",
            "password" | "new_password" => "err.password",
            "current_password" => "err.current_password",
            "ttl" => "err.ttl",
            "label" | "zone" | "host" => "err.label",
            "scopes" => "err.scopes",
            "code" => "err.code",
            _ => "err.generic",
        },
        Error::Conflict(text) if text.contains("no update token") => "err.no_token",
        Error::Conflict(_) => "err.taken",
        Error::QuotaExceeded => "err.quota",
        Error::TooManyRequests => "login.throttled",
        _ => "err.generic",
    };
    tr.t(key)
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
