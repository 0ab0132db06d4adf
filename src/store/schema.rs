//! Which tables and columns hold sessions and users, and the one read-only
//! query built from them (docs/compatibility.md §6.3, §6.4).
//!
//! Identifiers come from configuration, never from a request, and are still
//! validated (`[A-Za-z_][A-Za-z0-9_]*`, at most 63 bytes, optionally
//! `schema.table` for tables) and double-quoted, so the SQL text is fixed
//! when the store is built and the token only ever travels as a bound
//! parameter of a prepared statement (docs/security.md SS-1).

use crate::limits::SQL_IDENT_MAX;

/// How integer `expires` values are read (SQLite and custom PostgreSQL
/// columns; TIMESTAMP/TIMESTAMPTZ and ISO text carry their own unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntUnit {
    Millis,
    Seconds,
}

impl IntUnit {
    /// An integer `expires` in this unit, as milliseconds (`None` on overflow).
    pub fn to_ms(self, n: i64) -> Option<i64> {
        match self {
            IntUnit::Millis => Some(n),
            IntUnit::Seconds => n.checked_mul(1000),
        }
    }
}

/// Table and column names (unquoted, validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub session_table: String,
    pub user_table: String,
    pub session_token: String,
    pub user_id: String,
    pub expires: String,
    pub id: String,
    /// `None`: the column does not exist; the field reads as null.
    pub name: Option<String>,
    pub email: Option<String>,
    pub image: Option<String>,
    pub int_unit: IntUnit,
}

/// A custom mapping as configured: every field optional, defaulting to the
/// `pg-adapter` names. `Some("")` for name/email/image means "no such column".
#[derive(Debug, Clone, Default)]
pub struct MappingInput {
    pub session_table: Option<String>,
    pub user_table: Option<String>,
    pub session_token: Option<String>,
    pub user_id: Option<String>,
    pub expires: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub image: Option<String>,
    pub expires_unit: Option<String>,
}

impl Mapping {
    /// The adapters' own tables (each checked against the adapter's
    /// published schema; the tests seed them from that schema):
    /// - `"prisma"`: @next-auth/prisma-adapter / @auth/prisma-adapter
    ///   (`"Session"`, `"User"`; `expires TIMESTAMP(3)` holding UTC);
    /// - `"kysely"`: @auth/kysely-adapter (its `Database` interface names
    ///   the same `"Session"`/`"User"` tables; the documented migration
    ///   uses uuid ids and `expires timestamptz`);
    /// - `"pg-adapter"` (or `"pg"`): @auth/pg-adapter (`sessions`, `users`;
    ///   serial ids, `expires timestamptz`);
    /// - `"drizzle"`: @auth/drizzle-adapter's PostgreSQL tables (`session`
    ///   with `"sessionToken"` as primary key, `"userId"` text, `expires
    ///   timestamp` with `mode: "date"`, which drizzle writes as UTC; `user`
    ///   with `id`, `name`, `email`, `image` text).
    ///
    /// Columns are the same in all four (`sessionToken`, `userId`,
    /// `expires`, `id`, `name`, `email`, `image`), and each name means the
    /// same tables on PostgreSQL, MySQL/MariaDB and SQLite.
    pub fn preset(name: &str) -> Result<Mapping, String> {
        let (s, u) = match name {
            "prisma" | "kysely" => ("Session", "User"),
            "pg-adapter" | "pg" => ("sessions", "users"),
            "drizzle" => ("session", "user"),
            other => {
                return Err(format!(
                    "unknown schema preset {other:?}: use \"prisma\", \"drizzle\", \"kysely\", \"pg-adapter\" (SQL), \"upstash-redis\" or \"unstorage\" (Redis), or a table/column mapping"
                ))
            }
        };
        Ok(Mapping {
            session_table: s.into(),
            user_table: u.into(),
            session_token: "sessionToken".into(),
            user_id: "userId".into(),
            expires: "expires".into(),
            id: "id".into(),
            name: Some("name".into()),
            email: Some("email".into()),
            image: Some("image".into()),
            int_unit: IntUnit::Millis,
        })
    }

    /// A custom mapping on top of the `pg-adapter` names, validated.
    pub fn custom(m: MappingInput) -> Result<Mapping, String> {
        let base = Mapping::preset("pg-adapter")?;
        let opt = |v: Option<String>, d: Option<String>| match v {
            None => d,
            Some(s) if s.is_empty() => None,
            Some(s) => Some(s),
        };
        let out = Mapping {
            session_table: m.session_table.unwrap_or(base.session_table),
            user_table: m.user_table.unwrap_or(base.user_table),
            session_token: m.session_token.unwrap_or(base.session_token),
            user_id: m.user_id.unwrap_or(base.user_id),
            expires: m.expires.unwrap_or(base.expires),
            id: m.id.unwrap_or(base.id),
            name: opt(m.name, base.name),
            email: opt(m.email, base.email),
            image: opt(m.image, base.image),
            int_unit: match m.expires_unit.as_deref() {
                None | Some("ms") => IntUnit::Millis,
                Some("s") => IntUnit::Seconds,
                Some(other) => {
                    return Err(format!(
                        "expiresUnit must be \"ms\" or \"s\", not {other:?}"
                    ))
                }
            },
        };
        out.validate()?;
        Ok(out)
    }

    fn validate(&self) -> Result<(), String> {
        for (what, t) in [
            ("sessionTable", &self.session_table),
            ("userTable", &self.user_table),
        ] {
            let parts: Vec<&str> = t.split('.').collect();
            if parts.len() > 2 || !parts.iter().all(|p| valid_ident(p)) {
                return Err(format!("{what} {t:?} is not a valid table name ([A-Za-z_][A-Za-z0-9_]*, optionally schema.table)"));
            }
        }
        let cols = [
            ("sessionToken", Some(&self.session_token)),
            ("userId", Some(&self.user_id)),
            ("expires", Some(&self.expires)),
            ("id", Some(&self.id)),
            ("name", self.name.as_ref()),
            ("email", self.email.as_ref()),
            ("image", self.image.as_ref()),
        ];
        for (what, c) in cols {
            if let Some(c) = c {
                if !valid_ident(c) {
                    return Err(format!(
                        "column {what} {c:?} is not a valid identifier ([A-Za-z_][A-Za-z0-9_]*)"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The lookup. `placeholder` is `$1` (PostgreSQL) or `?1` (SQLite).
    /// Columns: expires, id (as text), name, email, image. `LIMIT 2` so that
    /// a non-unique token column is detected (and denied) instead of picking
    /// an arbitrary row.
    pub fn sql(&self, placeholder: &str) -> String {
        let text = |c: &Option<String>| match c {
            Some(c) => format!("CAST(u.{} AS TEXT)", quote(c)),
            None => "CAST(NULL AS TEXT)".to_owned(),
        };
        format!(
            "SELECT s.{exp}, CAST(u.{id} AS TEXT), {name}, {email}, {image} FROM {st} AS s LEFT JOIN {ut} AS u ON u.{id} = s.{uid} WHERE s.{tok} = {ph} LIMIT 2",
            exp = quote(&self.expires),
            id = quote(&self.id),
            name = text(&self.name),
            email = text(&self.email),
            image = text(&self.image),
            st = quote_table(&self.session_table),
            ut = quote_table(&self.user_table),
            uid = quote(&self.user_id),
            tok = quote(&self.session_token),
            ph = placeholder,
        )
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`, 1…[`SQL_IDENT_MAX`] bytes.
pub fn valid_ident(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= SQL_IDENT_MAX
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

fn quote(ident: &str) -> String {
    // valid_ident guarantees there is no quote to escape.
    format!("\"{ident}\"")
}

fn quote_table(t: &str) -> String {
    t.split('.').map(quote).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_unit_to_ms() {
        assert_eq!(
            IntUnit::Millis.to_ms(1_700_000_000_123),
            Some(1_700_000_000_123)
        );
        assert_eq!(
            IntUnit::Seconds.to_ms(1_700_000_000),
            Some(1_700_000_000_000)
        );
        assert_eq!(IntUnit::Seconds.to_ms(i64::MAX / 10), None); // overflow: unreadable, never a time
    }

    #[test]
    fn presets() {
        let p = Mapping::preset("prisma").unwrap();
        assert_eq!(
            p.sql("$1"),
            "SELECT s.\"expires\", CAST(u.\"id\" AS TEXT), CAST(u.\"name\" AS TEXT), CAST(u.\"email\" AS TEXT), CAST(u.\"image\" AS TEXT) \
             FROM \"Session\" AS s LEFT JOIN \"User\" AS u ON u.\"id\" = s.\"userId\" WHERE s.\"sessionToken\" = $1 LIMIT 2"
        );
        let g = Mapping::preset("pg-adapter").unwrap();
        assert!(g
            .sql("?1")
            .contains("FROM \"sessions\" AS s LEFT JOIN \"users\" AS u"));
        assert!(g.sql("?1").ends_with("= ?1 LIMIT 2"));
        assert!(Mapping::preset("mongo").is_err());
        let d = Mapping::preset("drizzle").unwrap();
        assert!(d.sql("$1").contains("FROM \"session\" AS s LEFT JOIN \"user\" AS u ON u.\"id\" = s.\"userId\" WHERE s.\"sessionToken\" = $1"));
        assert_eq!(Mapping::preset("kysely").unwrap(), p);
    }

    #[test]
    fn custom_mapping_validated() {
        let m = Mapping::custom(MappingInput {
            session_table: Some("auth.user_sessions".into()),
            session_token: Some("token".into()),
            image: Some(String::new()),
            expires_unit: Some("s".into()),
            ..Default::default()
        })
        .unwrap();
        let sql = m.sql("$1");
        assert!(sql.contains("FROM \"auth\".\"user_sessions\" AS s"));
        assert!(sql.contains("CAST(NULL AS TEXT) FROM"));
        assert!(sql.contains("WHERE s.\"token\" = $1"));
        assert_eq!(m.int_unit, IntUnit::Seconds);
        for bad in [
            "",
            "a b",
            "x\"; DROP TABLE users; --",
            "1abc",
            "a.b.c",
            "ä",
            &"a".repeat(64),
            "a-b",
            "a.",
            ".a",
        ] {
            let r = Mapping::custom(MappingInput {
                session_table: Some(bad.into()),
                ..Default::default()
            });
            assert!(r.is_err(), "{bad:?}");
            let r = Mapping::custom(MappingInput {
                session_token: Some(bad.into()),
                ..Default::default()
            });
            assert!(r.is_err(), "{bad:?}");
        }
        assert!(Mapping::custom(MappingInput {
            expires_unit: Some("us".into()),
            ..Default::default()
        })
        .is_err());
    }
}

// ---------------------------------------------------------------------------
// MySQL / MariaDB (issue 11): the same mapping, MySQL's quoting, and the
// Drizzle preset.

impl Mapping {
    /// The lookup for MySQL/MariaDB: backtick-quoted identifiers (valid_ident
    /// admits no backtick), `CAST(… AS CHAR)`, the token bound twice (`?`):
    /// once for the index, once compared as bytes, because the adapters'
    /// columns use case-insensitive collations (`utf8mb4_unicode_ci`) that
    /// would let `ABC` match `abc`.
    pub fn sql_mysql(&self) -> String {
        let q = |c: &str| format!("`{c}`");
        let qt = |t: &str| t.split('.').map(q).collect::<Vec<_>>().join(".");
        let text = |c: &Option<String>| match c {
            Some(c) => format!("CAST(u.{} AS CHAR)", q(c)),
            None => "CAST(NULL AS CHAR)".to_owned(),
        };
        format!(
            "SELECT s.{exp}, CAST(u.{id} AS CHAR), {name}, {email}, {image} FROM {st} AS s LEFT JOIN {ut} AS u ON u.{id} = s.{uid} WHERE s.{tok} = ? AND CAST(s.{tok} AS BINARY) = CAST(? AS BINARY) LIMIT 2",
            exp = q(&self.expires),
            id = q(&self.id),
            name = text(&self.name),
            email = text(&self.email),
            image = text(&self.image),
            st = qt(&self.session_table),
            ut = qt(&self.user_table),
            uid = q(&self.user_id),
            tok = q(&self.session_token),
        )
    }
}

#[cfg(test)]
mod mysql_tests {
    use super::*;

    #[test]
    fn mysql_sql_and_drizzle() {
        let p = Mapping::preset("prisma").unwrap();
        assert_eq!(
            p.sql_mysql(),
            "SELECT s.`expires`, CAST(u.`id` AS CHAR), CAST(u.`name` AS CHAR), CAST(u.`email` AS CHAR), CAST(u.`image` AS CHAR) \
             FROM `Session` AS s LEFT JOIN `User` AS u ON u.`id` = s.`userId` WHERE s.`sessionToken` = ? AND CAST(s.`sessionToken` AS BINARY) = CAST(? AS BINARY) LIMIT 2"
        );
        let d = Mapping::preset("drizzle").unwrap();
        assert!(d
            .sql_mysql()
            .contains("FROM `session` AS s LEFT JOIN `user` AS u"));
        assert!(d
            .sql("$1")
            .contains("FROM \"session\" AS s LEFT JOIN \"user\" AS u"));
        let c = Mapping::custom(MappingInput {
            session_table: Some("auth.logins".into()),
            image: Some(String::new()),
            ..Default::default()
        })
        .unwrap();
        assert!(c.sql_mysql().contains("FROM `auth`.`logins` AS s"));
        assert!(c.sql_mysql().contains("CAST(NULL AS CHAR) FROM"));
        assert!(Mapping::preset("mongo")
            .unwrap_err()
            .contains("upstash-redis"));
    }
}
