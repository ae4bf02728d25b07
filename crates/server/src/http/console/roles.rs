//! Who may do what in the console. Every role reads every page; the actions are split so that
//! no one person both administers the platform and moves money or decides differences.

/// A console user's role, as stored in `console_users.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Users, merchants, apps, channel accounts and their keys.
    Admin,
    /// Query the bank now, close or refund a payment, resend notifications, resolve
    /// reconciliation items, decide late successes, run the books.
    Operator,
    /// Settlement review: approve, mark paid, cancel; downloads; run the books.
    Finance,
    /// Reads everything, changes nothing.
    Auditor,
}

/// An action a role may or may not take. Reading a page needs none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create users, disable them, change their roles.
    ManageUsers,
    /// Merchants, apps (rotate secrets, disable), channel accounts (keys, certificates).
    ManageMerchants,
    /// Ask the bank about a payment (or refund) now.
    QueryPayment,
    /// Close an unpaid payment.
    ClosePayment,
    /// Refund a payment from its page (the business system usually does, through the API).
    RefundPayment,
    /// Put business notifications back in the queue.
    ResendNotification,
    /// Decide a reconciliation difference (bank wins / platform wins).
    ResolveRecon,
    /// Approve a settlement batch, mark it paid, cancel it.
    ReviewSettlement,
    /// Download statement files and settlement CSVs.
    DownloadFiles,
    /// Fetch a statement, run a day's reconciliation, make a date's settlement batches.
    RunBooks,
    /// Accept or refund money the bank took after the payment was closed.
    DecideLateSuccess,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Operator, Role::Finance, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Finance => "finance",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// The one table of who may do what.
    pub fn may(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Role::Admin => matches!(permission, P::ManageUsers | P::ManageMerchants),
            Role::Operator => matches!(
                permission,
                P::QueryPayment
                    | P::ClosePayment
                    | P::RefundPayment
                    | P::ResendNotification
                    | P::ResolveRecon
                    | P::DownloadFiles
                    | P::RunBooks
                    | P::DecideLateSuccess
            ),
            Role::Finance => matches!(
                permission,
                P::ReviewSettlement | P::DownloadFiles | P::RunBooks
            ),
            Role::Auditor => matches!(permission, P::DownloadFiles),
        }
    }
}

impl Permission {
    /// The name written in the audit log when someone without it tries.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ManageUsers => "manage_users",
            Permission::ManageMerchants => "manage_merchants",
            Permission::QueryPayment => "query_payment",
            Permission::ClosePayment => "close_payment",
            Permission::RefundPayment => "refund_payment",
            Permission::ResendNotification => "resend_notification",
            Permission::ResolveRecon => "resolve_recon",
            Permission::ReviewSettlement => "review_settlement",
            Permission::DownloadFiles => "download_files",
            Permission::RunBooks => "run_books",
            Permission::DecideLateSuccess => "decide_late_success",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_auditor_changes_nothing_and_roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
        for permission in [
            Permission::ManageUsers,
            Permission::ManageMerchants,
            Permission::QueryPayment,
            Permission::ClosePayment,
            Permission::RefundPayment,
            Permission::ResendNotification,
            Permission::ResolveRecon,
            Permission::ReviewSettlement,
            Permission::RunBooks,
            Permission::DecideLateSuccess,
        ] {
            assert!(!Role::Auditor.may(permission), "{permission:?}");
        }
        assert!(Role::Admin.may(Permission::ManageUsers));
        assert!(!Role::Admin.may(Permission::ReviewSettlement));
        assert!(Role::Operator.may(Permission::ResolveRecon));
        assert!(Role::Finance.may(Permission::ReviewSettlement));
        assert!(!Role::Finance.may(Permission::ClosePayment));
        assert!(Role::Operator.may(Permission::RefundPayment));
        assert!(!Role::Finance.may(Permission::RefundPayment));
        assert!(Role::Finance.may(Permission::RunBooks));
        assert!(!Role::Finance.may(Permission::DecideLateSuccess));
        assert!(Role::Operator.may(Permission::DecideLateSuccess));
    }
}
