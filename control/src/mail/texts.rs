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

/// Subject and body of the notice to the *old* address that the account's
/// e-mail address was changed: if the owner did not do it, this is the one
/// mail that still reaches them.
pub fn email_changed(language: Language, account: &str, new_email: &str) -> (&'static str, String) {
    match language {
        Language::En => (
            "The e-mail address of your spdyn account was changed",
            format!(
                "Hello {account},\n\n\
                 the e-mail address of your spdyn account was changed to {new_email}.\n\
                 Mails about the account (password resets included) go there from now on;\n\
                 this is the last one to this address.\n\n\
                 If you did not do this, contact the operator at once.\n"
            ),
        ),
        Language::De => (
            "Die E-Mail-Adresse Ihres spdyn-Kontos wurde geändert",
            format!(
                "Hallo {account},\n\n\
                 die E-Mail-Adresse Ihres spdyn-Kontos wurde in {new_email} geändert.\n\
                 Mails zum Konto (auch zum Zurücksetzen des Passworts) gehen ab jetzt dorthin;\n\
                 dies ist die letzte an diese Adresse.\n\n\
                 Wenn Sie das nicht waren, wenden Sie sich sofort an den Betreiber.\n"
            ),
        ),
    }
}

/// Subject and body of the mail after a link to a reseller account was
/// released: the account has no password until one is chosen.
pub fn unlinked(language: Language, account: &str, link: &str) -> (&'static str, String) {
    match language {
        Language::En => (
            "Choose a new password for your spdyn account",
            format!(
                "Hello {account},\n\n\
                 your spdyn account is no longer linked to a reseller account. It has no\n\
                 password until you choose one; open this link within 72 hours:\n\n\
                 {link}\n\n\
                 The link works once. Your hosts and their update tokens keep working.\n"
            ),
        ),
        Language::De => (
            "Wählen Sie ein neues Passwort für Ihr spdyn-Konto",
            format!(
                "Hallo {account},\n\n\
                 Ihr spdyn-Konto ist nicht mehr mit einem Reseller-Konto verbunden. Es hat\n\
                 kein Passwort, bis Sie eines wählen; öffnen Sie innerhalb von 72 Stunden\n\
                 diesen Link:\n\n\
                 {link}\n\n\
                 Der Link funktioniert einmal. Ihre Hosts und deren Update-Tokens\n\
                 funktionieren weiter.\n"
            ),
        ),
    }
}

/// Subject and body of the mail to a new address: the link that makes it
/// the account's address.
pub fn email_confirm(
    language: Language,
    account: &str,
    new_email: &str,
    link: &str,
) -> (&'static str, String) {
    match language {
        Language::En => (
            "Confirm the new e-mail address of your spdyn account",
            format!(
                "Hello {account},\n\n\
                 to make {new_email} the e-mail address of your spdyn account, open this\n\
                 link within 24 hours and confirm:\n\n\
                 {link}\n\n\
                 Until then the account keeps its current address. If you did not ask for\n\
                 this, ignore this mail.\n"
            ),
        ),
        Language::De => (
            "Bestätigen Sie die neue E-Mail-Adresse Ihres spdyn-Kontos",
            format!(
                "Hallo {account},\n\n\
                 um {new_email} zur E-Mail-Adresse Ihres spdyn-Kontos zu machen, öffnen Sie\n\
                 innerhalb von 24 Stunden diesen Link und bestätigen Sie:\n\n\
                 {link}\n\n\
                 Bis dahin behält das Konto seine bisherige Adresse. Wenn Sie das nicht\n\
                 angefordert haben, ignorieren Sie diese Mail.\n"
            ),
        ),
    }
}

/// Subject and body of the notice to the current address that a change to
/// another one was asked for.
pub fn email_change_requested(
    language: Language,
    account: &str,
    new_email: &str,
) -> (&'static str, String) {
    match language {
        Language::En => (
            "A new e-mail address was asked for your spdyn account",
            format!(
                "Hello {account},\n\n\
                 someone signed in to your spdyn account asked to change its e-mail address\n\
                 to {new_email}. Nothing changes until the link sent there is confirmed.\n\n\
                 If you did not do this, change your password and contact the operator.\n"
            ),
        ),
        Language::De => (
            "Für Ihr spdyn-Konto wurde eine neue E-Mail-Adresse angefordert",
            format!(
                "Hallo {account},\n\n\
                 jemand, der in Ihrem spdyn-Konto angemeldet ist, hat angefordert, dessen\n\
                 E-Mail-Adresse in {new_email} zu ändern. Nichts ändert sich, bevor der dorthin\n\
                 gesendete Link bestätigt ist.\n\n\
                 Wenn Sie das nicht waren, ändern Sie Ihr Passwort und wenden Sie sich an den\n\
                 Betreiber.\n"
            ),
        ),
    }
}

/// Subject and body of the mail a new user (of a reseller or of a
/// customer's tenant) gets: where to sign in, and a link to choose the first
/// password (after which the portal goes on to set up two-factor sign-in).
pub fn welcome(
    language: Language,
    name: &str,
    organisation: &str,
    sign_in: &str,
    link: &str,
) -> (&'static str, String) {
    match language {
        Language::En => (
            "Your spdyn portal access",
            format!(
                "Hello {name},\n\n\
                 an access to the spdyn portal of {organisation} was created for you.\n\
                 Your user name is {name}. Choose your password with this link (it works\n\
                 once, for three days); setting up two-factor sign-in follows:\n\n\
                 {link}\n\n\
                 Afterwards you sign in at:\n\n\
                 {sign_in}\n"
            ),
        ),
        Language::De => (
            "Ihr Zugang zum spdyn-Portal",
            format!(
                "Hallo {name},\n\n\
                 für Sie wurde ein Zugang zum spdyn-Portal von {organisation} angelegt.\n\
                 Ihr Benutzername ist {name}. Wählen Sie Ihr Passwort mit diesem Link (er\n\
                 funktioniert einmal, drei Tage lang); danach richten Sie die\n\
                 Zwei-Faktor-Anmeldung ein:\n\n\
                 {link}\n\n\
                 Anmelden können Sie sich danach hier:\n\n\
                 {sign_in}\n"
            ),
        ),
    }
}

/// Subject and body of the daily digest: the dashboard's items as lines.
pub fn digest(
    language: Language,
    name: &str,
    lines: &[String],
    url: &str,
) -> (&'static str, String) {
    let list = lines.join("\n");
    match language {
        Language::En => (
            "spdyn: what needs your attention today",
            format!(
                "Hello {name},\n\n\
                 these items of your spdyn portal need attention:\n\n\
                 {list}\n\n\
                 The dashboard links each one: {url}\n\n\
                 You get this mail because the daily digest is on in your profile.\n"
            ),
        ),
        Language::De => (
            "spdyn: was heute Ihre Aufmerksamkeit braucht",
            format!(
                "Hallo {name},\n\n\
                 diese Punkte in Ihrem spdyn-Portal brauchen Aufmerksamkeit:\n\n\
                 {list}\n\n\
                 Das Dashboard verlinkt jeden Punkt: {url}\n\n\
                 Sie erhalten diese Mail, weil die tägliche Übersicht in Ihrem Profil\n\
                 eingeschaltet ist.\n"
            ),
        ),
    }
}
