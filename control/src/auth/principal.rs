//! Who a signed-in request is, resolved once from its session or API token,
//! and the typed scopes it may act in: this is where a request becomes
//! "tenant T", "reseller R" or "operator" for every `db::` call after it.

use std::net::IpAddr;

use crate::{
    db::{
        accounts::Kind,
        scope::{Operator, Reseller, Tenant},
    },
    domain::{
        accounts::{AccountId, Role},
        scopes::Holder,
        tenants::{ResellerId, TenantId},
        two_factor::Roles,
    },
    error::Error,
    ops::{Actor, Home},
};

/// The customer a reseller user opened (its tenant portal), as the banner
/// "acting as reseller …" shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acting {
    pub tenant: TenantId,
    pub name: String,
    pub customer_number: String,
}

/// A signed-in principal.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account: AccountId,
    pub name: String,
    pub kind: Kind,
    pub tenant: Option<TenantId>,
    pub reseller: Option<ResellerId>,
    pub reseller_name: Option<String>,
    pub role: Role,
    /// An operator (`accounts.is_admin`, standalone accounts only).
    pub is_admin: bool,
    pub two_factor: bool,
    /// A dynamic-DNS account linked to a reseller user ("RSP"): it signs
    /// in through that user, whose second factor it uses.
    pub linked: bool,
    pub acting: Option<Acting>,
}

impl Principal {
    /// Where the principal's own data lives (profile, 2FA, API tokens).
    pub fn home(&self) -> Result<Home, Error> {
        match (self.tenant, self.reseller) {
            (Some(tenant), _) => Ok(Home::Tenant(tenant)),
            (None, Some(reseller)) => Ok(Home::Reseller(reseller)),
            (None, None) => Err(Error::Unauthorized),
        }
    }

    /// What two-factor sign-in asks of the principal.
    pub fn roles(&self) -> Roles {
        Roles {
            operator: self.is_admin,
            tenant_admin: self.kind == Kind::TenantUser && self.role == Role::Admin,
            reseller_user: self.kind == Kind::ResellerUser,
        }
    }

    /// The tenant whose pages the request sees: the principal's own, or the
    /// customer a reseller user opened.
    pub fn tenant(&self) -> Result<Tenant, Error> {
        match self.kind {
            Kind::ResellerUser => self
                .acting
                .as_ref()
                .map(|a| Tenant(a.tenant))
                .ok_or(Error::NoCustomerSelected),
            Kind::Standalone | Kind::TenantUser => {
                self.tenant.map(Tenant).ok_or(Error::Unauthorized)
            }
        }
    }

    /// The tenant, for a change: read-only users may change nothing.
    pub fn tenant_to_change(&self) -> Result<Tenant, Error> {
        let tenant = self.tenant()?;
        if self.role == Role::ReadOnly {
            return Err(Error::ReadOnly);
        }
        Ok(tenant)
    }

    /// The reseller a reseller user acts for; anyone else is refused.
    pub fn reseller(&self) -> Result<Reseller, Error> {
        match (self.kind, self.reseller) {
            (Kind::ResellerUser, Some(reseller)) => Ok(Reseller(reseller)),
            _ => Err(Error::Forbidden),
        }
    }

    /// An operator; anyone else is refused.
    pub fn operator(&self) -> Result<Operator, Error> {
        if self.is_admin {
            Ok(Operator)
        } else {
            Err(Error::Forbidden)
        }
    }

    /// The principal as the actor of a change, named as the log shows it:
    /// a reseller user with its reseller, plus `via` (e.g. an API token).
    pub fn actor(&self, source: Option<IpAddr>, via: Option<&str>) -> Result<Actor, Error> {
        let reseller = match self.kind {
            Kind::ResellerUser => self.reseller_name.clone(),
            Kind::Standalone | Kind::TenantUser => None,
        };
        Ok(Actor {
            account: self.account,
            name: self.name.clone(),
            reseller,
            via: via.map(|token| format!("api:{token}")),
            source,
            home: self.home()?,
        })
    }

    /// Which API scopes the principal may put on a token.
    pub fn holder(&self) -> Holder {
        match self.kind {
            Kind::ResellerUser => Holder::Reseller,
            Kind::Standalone | Kind::TenantUser => Holder::Tenant {
                operator: self.is_admin,
            },
        }
    }
}

/// The columns an account is read with where a principal is made.
#[derive(Debug, Clone)]
pub struct PrincipalRow<'a> {
    pub account_id: i64,
    pub name: &'a str,
    pub kind: &'a str,
    pub tenant_id: Option<i64>,
    pub reseller_id: Option<i64>,
    pub reseller_name: Option<&'a str>,
    pub role: &'a str,
    pub is_admin: bool,
    pub two_factor: bool,
    pub linked: bool,
}

impl PrincipalRow<'_> {
    pub fn principal(&self, acting: Option<Acting>) -> Principal {
        Principal {
            account: AccountId(self.account_id),
            name: self.name.to_owned(),
            kind: Kind::from_code(self.kind).unwrap_or(Kind::Standalone),
            tenant: self.tenant_id.map(TenantId),
            reseller: self.reseller_id.map(ResellerId),
            reseller_name: self.reseller_name.map(str::to_owned),
            // An unknown role is the weakest one.
            role: Role::from_code(self.role).unwrap_or(Role::ReadOnly),
            is_admin: self.is_admin,
            two_factor: self.two_factor,
            linked: self.linked,
            acting,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(kind: Kind, role: Role) -> Principal {
        Principal {
            account: AccountId(1),
            name: "u".into(),
            kind,
            tenant: (kind != Kind::ResellerUser).then_some(TenantId(7)),
            reseller: (kind != Kind::Standalone).then_some(ResellerId(3)),
            reseller_name: Some("R".into()),
            role,
            is_admin: false,
            two_factor: true,
            linked: false,
            acting: None,
        }
    }

    #[test]
    fn each_kind_resolves_to_its_own_scopes_only() {
        let standalone = principal(Kind::Standalone, Role::Admin);
        assert_eq!(standalone.tenant().unwrap(), Tenant(TenantId(7)));
        assert!(matches!(standalone.reseller(), Err(Error::Forbidden)));
        assert!(matches!(standalone.operator(), Err(Error::Forbidden)));

        let reader = principal(Kind::TenantUser, Role::ReadOnly);
        assert_eq!(reader.tenant().unwrap(), Tenant(TenantId(7)));
        assert!(matches!(reader.tenant_to_change(), Err(Error::ReadOnly)));
        assert!(matches!(reader.reseller(), Err(Error::Forbidden)));

        let mut reseller = principal(Kind::ResellerUser, Role::Admin);
        assert_eq!(reseller.reseller().unwrap(), Reseller(ResellerId(3)));
        assert!(matches!(reseller.tenant(), Err(Error::NoCustomerSelected)));
        reseller.acting = Some(Acting {
            tenant: TenantId(9),
            name: "C".into(),
            customer_number: "100001".into(),
        });
        assert_eq!(reseller.tenant_to_change().unwrap(), Tenant(TenantId(9)));
        assert!(reseller.roles().reseller_user);
        let actor = reseller.actor(None, Some("ci")).unwrap();
        assert_eq!(
            (
                actor.name.as_str(),
                actor.reseller.as_deref(),
                actor.via.as_deref()
            ),
            ("u", Some("R"), Some("api:ci")),
            "the log names the reseller and the token"
        );
    }
}
