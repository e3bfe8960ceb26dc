"""ShopSight dashboard and the shopsight command."""
