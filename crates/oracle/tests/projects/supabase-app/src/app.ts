import { createClient } from '@supabase/supabase-js'
import { Pool } from 'pg'

const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_KEY!)
const pool = new Pool()

export async function listOrders(tenant: string) {
  // Fine: the table and its columns exist.
  return supabase.from('orders').select('id, status, total').eq('tenant_id', tenant)
}

export async function orderNotes(tenant: string) {
  // "notes" is not a column of orders (the column is "note").
  return supabase.from('orders').select('id, notes').eq('tenant_id', tenant)
}

export async function invoices(tenant: string) {
  // No migration creates invoices.
  return supabase.from('invoices').select('*').eq('tenant_id', tenant)
}

export async function countCall(tenant: string) {
  // Fine: the function exists and takes p_tenant.
  return supabase.rpc('count_call', { p_tenant: tenant })
}

export async function bumpUsage(tenant: string) {
  // No migration creates bump_usage.
  return supabase.rpc('bump_usage', { p_tenant: tenant })
}

export async function saveSetting(tenant: string, key: string, value: string) {
  // Fine: (tenant_id, key) is a unique key of settings.
  return supabase.from('settings').upsert({ tenant_id: tenant, key, value }, { onConflict: 'tenant_id,key' })
}

export async function saveUsage(tenant: string, day: string) {
  // No unique index on usage (day) alone: 42P10.
  return supabase.from('usage').upsert({ tenant_id: tenant, day, calls: 1 }, { onConflict: 'day' })
}

export async function lines(order: number) {
  // Fine.
  const ok = await pool.query('SELECT id, sku, qty FROM order_lines WHERE order_id = $1', [order])
  // "quantity" was renamed to "qty".
  const old = await pool.query('SELECT id, sku, quantity FROM order_lines WHERE order_id = $1', [order])
  // No table shipments.
  const ship = await pool.query('SELECT carrier FROM shipments WHERE order_id = $1', [order])
  // No function order_weight.
  const weight = await pool.query('SELECT order_weight($1)', [order])
  // 42P10: orders has no unique index on status.
  await pool.query('INSERT INTO orders (tenant_id, status) VALUES ($1, $2) ON CONFLICT (status) DO NOTHING', [order, 'new'])
  return [ok, old, ship, weight]
}
