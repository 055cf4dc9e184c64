//! A condition on a column that holds NULL must say `IS NULL` (a bound NULL is refused), so the
//! transactions that compare stored values come in one variant per shape of the stored row, all
//! prepared at start-up.

use crate::server::users::rows::UserRow;
use scylla::statement::prepared::PreparedStatement;

/// How the stored row looks, which decides the statement variant.
#[derive(Clone, Copy)]
pub struct Shape {
    pub name_is_null: bool,
    pub email_is_null: bool,
    /// Whether the row holds the claim on its current email, to be deleted with the change.
    pub releases_old_claim: bool,
}

impl Shape {
    /// The shape of `row`; `releases_old_claim`: whether the row holds the claim on its email.
    pub fn of(row: &UserRow, releases_old_claim: bool) -> Shape {
        Shape {
            name_is_null: row.name.is_none(),
            email_is_null: row.email.is_none(),
            releases_old_claim,
        }
    }

    fn index(self) -> usize {
        usize::from(self.name_is_null)
            | usize::from(self.email_is_null) << 1
            | usize::from(self.releases_old_claim) << 2
    }

    fn all() -> impl Iterator<Item = Shape> {
        (0..8).map(|bits| Shape {
            name_is_null: bits & 1 != 0,
            email_is_null: bits & 2 != 0,
            releases_old_claim: bits & 4 != 0,
        })
    }

    /// What the transaction adds to release the old claim (`:old_claim_key`, if `:id` still
    /// holds it); nothing when the row does not hold it.
    pub fn old_claim(self, ks: &str) -> OldClaim {
        if self.releases_old_claim {
            OldClaim {
                read: format!(
                    "LET old = (SELECT id FROM {ks}.users_by_email WHERE email = :old_claim_key);"
                ),
                selected: ", old.id",
                condition: " AND old.id = :id",
                delete: format!("DELETE FROM {ks}.users_by_email WHERE email = :old_claim_key;"),
            }
        } else {
            OldClaim::default()
        }
    }

    /// `cur.name = :expected_name`, or `cur.name IS NULL` when the stored name is NULL.
    pub fn name_condition(self) -> &'static str {
        if self.name_is_null {
            "cur.name IS NULL"
        } else {
            "cur.name = :expected_name"
        }
    }

    /// `cur.email = :expected_email`, or `cur.email IS NULL` when the stored email is NULL.
    pub fn email_condition(self) -> &'static str {
        if self.email_is_null {
            "cur.email IS NULL"
        } else {
            "cur.email = :expected_email"
        }
    }
}

/// The pieces of CQL that release the old claim, each in its place in the transaction.
#[derive(Default)]
pub struct OldClaim {
    pub read: String,
    pub selected: &'static str,
    pub condition: &'static str,
    pub delete: String,
}

/// One prepared variant of a transaction per shape.
pub struct ByShape(Vec<PreparedStatement>);

impl ByShape {
    /// Prepares the variant of every shape, `cql` giving each one's text. (A plain generic
    /// future rather than an `AsyncFn`, whose future the compiler cannot prove `Send`.)
    pub async fn prepare<Prepared, Error>(
        cql: impl Fn(Shape) -> String,
        mut prepare: impl FnMut(String) -> Prepared,
    ) -> Result<ByShape, Error>
    where
        Prepared: std::future::Future<Output = Result<PreparedStatement, Error>>,
    {
        let mut variants = Vec::new();
        for shape in Shape::all() {
            variants.push(prepare(cql(shape)).await?);
        }
        Ok(ByShape(variants))
    }

    pub fn of(&self, shape: Shape) -> &PreparedStatement {
        &self.0[shape.index()]
    }
}
