use sqlx::PgPool;

pub async fn account(pool: &PgPool, email: &str) -> sqlx::Result<()> {
    // Fine.
    sqlx::query("SELECT id, email, tier FROM accounts WHERE email = $1").bind(email).execute(pool).await?;
    // "plan" was renamed to "tier".
    sqlx::query("SELECT id, plan FROM accounts WHERE email = $1").bind(email).execute(pool).await?;
    // Fine: the key is unique.
    sqlx::query("INSERT INTO accounts (email) VALUES ($1) ON CONFLICT (email) DO NOTHING").bind(email).execute(pool).await?;
    // 42P10: no unique index on tier.
    sqlx::query("INSERT INTO accounts (email, tier) VALUES ($1, 'pro') ON CONFLICT (tier) DO NOTHING").bind(email).execute(pool).await?;
    // No table audit_log.
    sqlx::query("INSERT INTO audit_log (account_email) VALUES ($1)").bind(email).execute(pool).await?;
    // Fine: a table made by CREATE TABLE AS.
    sqlx::query("UPDATE account_stats SET logins = logins + 1 WHERE account_id = $1").bind(1_i64).execute(pool).await?;
    Ok(())
}

fn main() {}
