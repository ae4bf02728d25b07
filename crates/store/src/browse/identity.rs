//! Identity verifications, newest first, keyset paged on `(created_at, id)`. Only the masks
//! and keyed hashes the table keeps can come out of here.

use super::payments::{Page, into_page};
use super::{PAGE_ROWS, Search, before};
use crate::identity::{COLUMNS, IdentityVerification, from_row};
use crate::refunds::transactions::Cursor;
use crate::{Store, StoreError};
use sqlx::Row;

impl Store {
    pub async fn search_identity_verifications(
        &self,
        search: &Search<'_>,
    ) -> Result<Page<IdentityVerification>, StoreError> {
        let (before_at, before_id) = before(search.cursor.as_ref());
        let sql = format!(
            "SELECT {COLUMNS} FROM identity_verifications WHERE \
             ($1 = '' OR id = $1 OR out_verify_no = $1 OR verify_no = $1) \
             AND ($2 = '' OR status = $2) AND ($3 = '' OR app_id = $3) \
             AND created_at >= $4 AND created_at < $5 \
             AND (created_at < $6 OR (created_at = $6 AND ($7 = '' OR id < $7))) \
             ORDER BY created_at DESC, id DESC LIMIT $8"
        );
        let rows = sqlx::query(&sql)
            .bind(search.text.unwrap_or(""))
            .bind(search.status.unwrap_or(""))
            .bind(search.app_id.unwrap_or(""))
            .bind(search.from_ms.unwrap_or(i64::MIN))
            .bind(search.to_ms.unwrap_or(i64::MAX))
            .bind(before_at)
            .bind(before_id)
            .bind(PAGE_ROWS + 1)
            .fetch_all(&self.read)
            .await?;
        let found = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(found, |v| Cursor {
            created_at: v.created_at,
            id: v.id.clone(),
        }))
    }

    /// How many of the app's verifications name this document and this card (by keyed
    /// hash), the given one included: how often the same person was seen.
    pub async fn identity_sightings(
        &self,
        verification: &IdentityVerification,
    ) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM identity_verifications WHERE app_id = $1 AND certificate_hash = $2) AS by_certificate, \
               (SELECT COUNT(*) FROM identity_verifications WHERE app_id = $1 AND card_hash = $3) AS by_card",
        )
        .bind(&verification.app_id)
        .bind(&verification.certificate.hash)
        .bind(&verification.card.hash)
        .fetch_one(&self.read)
        .await?;
        Ok((row.try_get("by_certificate")?, row.try_get("by_card")?))
    }
}
