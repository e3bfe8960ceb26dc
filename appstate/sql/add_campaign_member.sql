-- add_campaign_member: one frozen member of a campaign with its group and the scores it had
-- when the campaign was created.
INSERT INTO campaign_members (
    campaign_id, customer_id, member_group, churn_tier, segment, purchase_prob, churn_prob,
    predicted_revenue
)
VALUES (
    :campaign_id, :customer_id, :member_group, :churn_tier, :segment, :purchase_prob,
    :churn_prob, :predicted_revenue
)
