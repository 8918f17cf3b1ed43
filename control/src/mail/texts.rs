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
