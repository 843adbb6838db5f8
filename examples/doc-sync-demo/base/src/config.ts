export const config = {
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://localhost/payments',
  port: Number(process.env.PORT ?? 8080),
};
