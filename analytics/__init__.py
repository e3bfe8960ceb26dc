"""ShopSight analytics: cohorts, metrics, funnels, exports (read-only)."""
