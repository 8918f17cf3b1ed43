//! Texts of the mails, in the account's language.

use crate::domain::accounts::Language;

/// Subject and body of a password-reset mail.
pub fn reset(language: Language, account: &str, link: &str) -> (&'static str, String) {
    match language {
        Language::En => (
            "Reset your spdyn password",
            format!(
                "Hello {account},\n\n\
                 someone (hopefully you) asked to reset the password of your spdyn account.\n\
                 To choose a new password, open this link within one hour:\n\n\
                 {link}\n\n\
                 The link works once. If you did not ask for it, ignore this mail: your\n\
                 password stays as it is.\n"
            ),
        ),
        Language::De => (
            "Ihr spdyn-Passwort zurücksetzen",
            format!(
                "Hallo {account},\n\n\
                 jemand (hoffentlich Sie) hat angefordert, das Passwort Ihres spdyn-Kontos\n\
                 zurückzusetzen. Um ein neues Passwort zu wählen, öffnen Sie innerhalb einer\n\
                 Stunde diesen Link:\n\n\
                 {link}\n\n\
                 Der Link funktioniert einmal. Wenn Sie das nicht angefordert haben, ignorieren\n\
                 Sie diese Mail: Ihr Passwort bleibt unverändert.\n"
            ),
        ),
    }
}

/// Subject and body of the notice that two-factor sign-in was switched on
/// or off, so a change the owner did not make is noticed.
pub fn two_factor_changed(
    language: Language,
    account: &str,
    enabled: bool,
) -> (&'static str, String) {
    match (language, enabled) {
        (Language::En, true) => (
            "Two-factor sign-in is on for your spdyn account",
            format!(
                "Hello {account},\n\n\
                 two-factor sign-in was switched on for your spdyn account: from now on\n\
                 signing in asks for a code from your authenticator app.\n\n\
                 If you did not do this, reset your password and contact the operator.\n"
            ),
        ),
        (Language::En, false) => (
            "Two-factor sign-in is off for your spdyn account",
            format!(
                "Hello {account},\n\n\
                 two-factor sign-in was switched off for your spdyn account: signing in\n\
                 asks for the password only.\n\n\
                 If you did not do this, reset your password and contact the operator.\n"
            ),
        ),
        (Language::De, true) => (
            "Zwei-Faktor-Anmeldung für Ihr spdyn-Konto ist aktiv",
            format!(
                "Hallo {account},\n\n\
                 für Ihr spdyn-Konto wurde die Zwei-Faktor-Anmeldung eingeschaltet: Ab jetzt\n\
                 fragt die Anmeldung nach einem Code aus Ihrer Authenticator-App.\n\n\
                 Wenn Sie das nicht waren, setzen Sie Ihr Passwort zurück und wenden Sie sich\n\
                 an den Betreiber.\n"
            ),
        ),
        (Language::De, false) => (
            "Zwei-Faktor-Anmeldung für Ihr spdyn-Konto ist aus",
            format!(
                "Hallo {account},\n\n\
                 für Ihr spdyn-Konto wurde die Zwei-Faktor-Anmeldung ausgeschaltet: Die\n\
                 Anmeldung fragt nur noch nach dem Passwort.\n\n\
                 Wenn Sie das nicht waren, setzen Sie Ihr Passwort zurück und wenden Sie sich\n\
                 an den Betreiber.\n"
            ),
        ),
    }
}
