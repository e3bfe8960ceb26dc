-- campaign_member_list: the frozen members of the campaign :name, of one group when
-- :member_group is given, in customer order.
SELECT
    m.customer_id,
    m.member_group,
    m.churn_tier,
    m.segment,
    m.purchase_prob,
    m.churn_prob,
    m.predicted_revenue
FROM campaign_members AS m
JOIN campaigns AS c ON c.id = m.campaign_id
WHERE c.name = :name AND (:member_group IS NULL OR m.member_group = :member_group)
ORDER BY m.customer_id
