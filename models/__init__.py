"""ShopSight models: labels, fitting, evaluation and scoring."""
