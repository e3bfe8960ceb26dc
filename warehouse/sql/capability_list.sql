-- capability_list: each capability, whether the data has it, and why; in the order the build
-- judged them.
SELECT
    name,
    available,
    reason
FROM capabilities
