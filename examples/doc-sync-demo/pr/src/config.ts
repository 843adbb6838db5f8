export const config = {
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://localhost/payments',
  port: Number(process.env.PORT ?? 8080),
  region: process.env.PAYMENTS_REGION ?? 'eu',
  retryBudgetMs: Number(process.env.RETRY_BUDGET_MS ?? 2000),
};
