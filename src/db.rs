//! Opening the SQLite database: migrations, WAL, foreign keys, and readable errors for the two
//! ways a file goes wrong (another process holds the lock; the file is not a database).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::error::{Error, Result};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a write waits for another process's lock before [`Error::DatabaseLocked`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Database {
    pool: SqlitePool,
    path: PathBuf,
}

impl Database {
    /// Opens (creating if needed) the database and brings its schema up to date. An existing
    /// file that is not a SQLite database is refused and left untouched.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        }
        check_header(path)?;
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(|e| Error::Database { path: path.into(), reason: e.to_string() })?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await.map_err(|e| classify(path, e))?;
        MIGRATOR.run(&pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => classify(path, inner),
            other => Error::Database { path: path.into(), reason: other.to_string() },
        })?;
        Ok(Self { pool, path: path.to_path_buf() })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Maps an sqlx error of this database to a readable one.
    pub fn error(&self, e: sqlx::Error) -> Error {
        classify(&self.path, e)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// SQLite writes this header at the start of every database file.
const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

fn check_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else { return Ok(()) };
    let mut header = [0u8; 16];
    let n = file.read(&mut header).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    if n == 0 {
        return Ok(());
    }
    if n < 16 || header != SQLITE_HEADER {
        return Err(Error::Database {
            path: path.into(),
            reason: "the file is not a SQLite database (corrupt or another kind of file); it was left untouched".into(),
        });
    }
    Ok(())
}

pub fn classify(path: &Path, e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        let code = db.code().unwrap_or_default();
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with extended codes.
        if code == "5" || code == "6" || code.ends_with("05") || db.message().contains("locked") {
            return Error::DatabaseLocked { path: path.into(), waited_ms: BUSY_TIMEOUT.as_millis() as u64 };
        }
        // SQLITE_CORRUPT (11) and SQLITE_NOTADB (26).
        if code == "11" || code == "26" || db.message().contains("malformed") || db.message().contains("not a database") {
            return Error::Database { path: path.into(), reason: format!("the database is corrupt: {}", db.message()) };
        }
    }
    Error::Database { path: path.into(), reason: e.to_string() }
}
