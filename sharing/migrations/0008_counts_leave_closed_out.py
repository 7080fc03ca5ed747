"""The aggregate tier's kept counts leave closed records out (issue 11; Southampton 8, 11), as the count over the
tables does (sharing.selectors.aggregate.COUNTED_BY_AGENCY): a child counts while it is neither merged into
another nor closed. The two trigger functions of migration 0006 are replaced with that condition (closing a
record is an UPDATE of `closed_on`, counted as a -1, as a merge is), and the counts are taken again.
"""

from django.db import migrations

COUNTED_NOW = """
CREATE OR REPLACE FUNCTION sharing_involvement_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kids bigint[];
    agencies bigint[];
    signs integer[];
    borns date[];
    areas text[];
    genders text[];
    ethnicities text[];
BEGIN
    -- The open involvements the statement added (+1) and took away (-1).
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(child_id), array_agg(agency_id), array_agg(1) INTO kids, agencies, signs
        FROM new_rows WHERE ended_on IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(child_id), array_agg(agency_id), array_agg(-1) INTO kids, agencies, signs
        FROM old_rows WHERE ended_on IS NULL;
    ELSE
        SELECT array_agg(u.child_id), array_agg(u.agency_id), array_agg(u.sign) INTO kids, agencies, signs
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.child_id, o.agency_id, -1, o.ended_on IS NULL),
                                   (n.child_id, n.agency_id, 1, n.ended_on IS NULL)) AS u(child_id, agency_id, sign, open)
        WHERE u.open
          AND (o.child_id, o.agency_id, o.ended_on IS NULL) IS DISTINCT FROM (n.child_id, n.agency_id, n.ended_on IS NULL);
    END IF;
    IF kids IS NULL THEN
        RETURN NULL;
    END IF;
    -- One writer of a child's involvements at a time; what this statement reads next includes what the one
    -- before it committed (READ COMMITTED: each statement of a volatile function takes a fresh snapshot).
    PERFORM 1 FROM sharing_child WHERE id = ANY(kids) ORDER BY id FOR NO KEY UPDATE;
    WITH diff AS (
        SELECT child_id, agency_id, sum(sign)::integer AS d
        FROM unnest(kids, agencies, signs) AS u(child_id, agency_id, sign) GROUP BY 1, 2
    ), after AS (
        SELECT i.child_id, i.agency_id, count(*)::integer AS n FROM sharing_involvement i
        WHERE i.child_id = ANY(kids) AND i.ended_on IS NULL GROUP BY 1, 2
    ), pairs AS (
        SELECT child_id, agency_id, coalesce(a.n, 0) AS n_after, coalesce(a.n, 0) - coalesce(d.d, 0) AS n_before
        FROM after a FULL JOIN diff d USING (child_id, agency_id)
    ), keyed AS (
        SELECT child_id, agency_id, (n_after > 0)::integer - (n_before > 0)::integer AS d FROM pairs
        UNION ALL
        SELECT child_id, NULL, (NOT bool_or(n_after > 0))::integer - (NOT bool_or(n_before > 0))::integer
        FROM pairs GROUP BY child_id
    )
    SELECT array_agg(k.agency_id), array_agg(c.born_on), array_agg(c.area_id), array_agg(c.gender),
           array_agg(c.ethnicity), array_agg(k.d)
    INTO agencies, borns, areas, genders, ethnicities, signs
    FROM keyed k JOIN sharing_child c ON c.id = k.child_id AND (c.merged_into_id IS NULL AND c.closed_on IS NULL)
    WHERE k.d <> 0;
    IF signs IS NOT NULL THEN
        PERFORM sharing_child_counts_add(agencies, borns, areas, genders, ethnicities, signs);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION sharing_child_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kids bigint[];
    borns date[];
    areas text[];
    genders text[];
    ethnicities text[];
    signs integer[];
    agencies bigint[];
BEGIN
    -- The children (not merged) the statement added (+1) and took away (-1), with their values.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(id), array_agg(born_on), array_agg(area_id), array_agg(gender), array_agg(ethnicity),
               array_agg(1)
        INTO kids, borns, areas, genders, ethnicities, signs
        FROM new_rows WHERE (merged_into_id IS NULL AND closed_on IS NULL);
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(id), array_agg(born_on), array_agg(area_id), array_agg(gender), array_agg(ethnicity),
               array_agg(-1)
        INTO kids, borns, areas, genders, ethnicities, signs
        FROM old_rows WHERE (merged_into_id IS NULL AND closed_on IS NULL);
    ELSE
        SELECT array_agg(u.id), array_agg(u.born_on), array_agg(u.area_id), array_agg(u.gender),
               array_agg(u.ethnicity), array_agg(u.sign)
        INTO kids, borns, areas, genders, ethnicities, signs
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (
            VALUES (o.id, o.born_on, o.area_id, o.gender, o.ethnicity, -1, (o.merged_into_id IS NULL AND o.closed_on IS NULL)),
                   (n.id, n.born_on, n.area_id, n.gender, n.ethnicity, 1, (n.merged_into_id IS NULL AND n.closed_on IS NULL))
        ) AS u(id, born_on, area_id, gender, ethnicity, sign, counted)
        WHERE u.counted
          AND (o.born_on, o.area_id, o.gender, o.ethnicity, (o.merged_into_id IS NULL AND o.closed_on IS NULL))
              IS DISTINCT FROM (n.born_on, n.area_id, n.gender, n.ethnicity, (n.merged_into_id IS NULL AND n.closed_on IS NULL));
    END IF;
    IF kids IS NULL THEN
        RETURN NULL;
    END IF;
    -- Each under the agencies of its open involvements, or under none (the statement locked these children, so
    -- no writer of their involvements is between its count and this one).
    SELECT array_agg(k.agency_id), array_agg(u.born_on), array_agg(u.area_id), array_agg(u.gender),
           array_agg(u.ethnicity), array_agg(u.sign)
    INTO agencies, borns, areas, genders, ethnicities, signs
    FROM unnest(kids, borns, areas, genders, ethnicities, signs)
         AS u(child_id, born_on, area_id, gender, ethnicity, sign)
    CROSS JOIN LATERAL (
        SELECT DISTINCT i.agency_id FROM sharing_involvement i WHERE i.child_id = u.child_id AND i.ended_on IS NULL
        UNION ALL
        SELECT NULL::bigint WHERE NOT EXISTS (
            SELECT 1 FROM sharing_involvement i WHERE i.child_id = u.child_id AND i.ended_on IS NULL
        )
    ) AS k;
    PERFORM sharing_child_counts_add(agencies, borns, areas, genders, ethnicities, signs);
    RETURN NULL;
END
$$;
"""

COUNTED_BEFORE = """
CREATE OR REPLACE FUNCTION sharing_involvement_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kids bigint[];
    agencies bigint[];
    signs integer[];
    borns date[];
    areas text[];
    genders text[];
    ethnicities text[];
BEGIN
    -- The open involvements the statement added (+1) and took away (-1).
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(child_id), array_agg(agency_id), array_agg(1) INTO kids, agencies, signs
        FROM new_rows WHERE ended_on IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(child_id), array_agg(agency_id), array_agg(-1) INTO kids, agencies, signs
        FROM old_rows WHERE ended_on IS NULL;
    ELSE
        SELECT array_agg(u.child_id), array_agg(u.agency_id), array_agg(u.sign) INTO kids, agencies, signs
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.child_id, o.agency_id, -1, o.ended_on IS NULL),
                                   (n.child_id, n.agency_id, 1, n.ended_on IS NULL)) AS u(child_id, agency_id, sign, open)
        WHERE u.open
          AND (o.child_id, o.agency_id, o.ended_on IS NULL) IS DISTINCT FROM (n.child_id, n.agency_id, n.ended_on IS NULL);
    END IF;
    IF kids IS NULL THEN
        RETURN NULL;
    END IF;
    -- One writer of a child's involvements at a time; what this statement reads next includes what the one
    -- before it committed (READ COMMITTED: each statement of a volatile function takes a fresh snapshot).
    PERFORM 1 FROM sharing_child WHERE id = ANY(kids) ORDER BY id FOR NO KEY UPDATE;
    WITH diff AS (
        SELECT child_id, agency_id, sum(sign)::integer AS d
        FROM unnest(kids, agencies, signs) AS u(child_id, agency_id, sign) GROUP BY 1, 2
    ), after AS (
        SELECT i.child_id, i.agency_id, count(*)::integer AS n FROM sharing_involvement i
        WHERE i.child_id = ANY(kids) AND i.ended_on IS NULL GROUP BY 1, 2
    ), pairs AS (
        SELECT child_id, agency_id, coalesce(a.n, 0) AS n_after, coalesce(a.n, 0) - coalesce(d.d, 0) AS n_before
        FROM after a FULL JOIN diff d USING (child_id, agency_id)
    ), keyed AS (
        SELECT child_id, agency_id, (n_after > 0)::integer - (n_before > 0)::integer AS d FROM pairs
        UNION ALL
        SELECT child_id, NULL, (NOT bool_or(n_after > 0))::integer - (NOT bool_or(n_before > 0))::integer
        FROM pairs GROUP BY child_id
    )
    SELECT array_agg(k.agency_id), array_agg(c.born_on), array_agg(c.area_id), array_agg(c.gender),
           array_agg(c.ethnicity), array_agg(k.d)
    INTO agencies, borns, areas, genders, ethnicities, signs
    FROM keyed k JOIN sharing_child c ON c.id = k.child_id AND c.merged_into_id IS NULL
    WHERE k.d <> 0;
    IF signs IS NOT NULL THEN
        PERFORM sharing_child_counts_add(agencies, borns, areas, genders, ethnicities, signs);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION sharing_child_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kids bigint[];
    borns date[];
    areas text[];
    genders text[];
    ethnicities text[];
    signs integer[];
    agencies bigint[];
BEGIN
    -- The children (not merged) the statement added (+1) and took away (-1), with their values.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(id), array_agg(born_on), array_agg(area_id), array_agg(gender), array_agg(ethnicity),
               array_agg(1)
        INTO kids, borns, areas, genders, ethnicities, signs
        FROM new_rows WHERE merged_into_id IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(id), array_agg(born_on), array_agg(area_id), array_agg(gender), array_agg(ethnicity),
               array_agg(-1)
        INTO kids, borns, areas, genders, ethnicities, signs
        FROM old_rows WHERE merged_into_id IS NULL;
    ELSE
        SELECT array_agg(u.id), array_agg(u.born_on), array_agg(u.area_id), array_agg(u.gender),
               array_agg(u.ethnicity), array_agg(u.sign)
        INTO kids, borns, areas, genders, ethnicities, signs
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (
            VALUES (o.id, o.born_on, o.area_id, o.gender, o.ethnicity, -1, o.merged_into_id IS NULL),
                   (n.id, n.born_on, n.area_id, n.gender, n.ethnicity, 1, n.merged_into_id IS NULL)
        ) AS u(id, born_on, area_id, gender, ethnicity, sign, counted)
        WHERE u.counted
          AND (o.born_on, o.area_id, o.gender, o.ethnicity, o.merged_into_id IS NULL)
              IS DISTINCT FROM (n.born_on, n.area_id, n.gender, n.ethnicity, n.merged_into_id IS NULL);
    END IF;
    IF kids IS NULL THEN
        RETURN NULL;
    END IF;
    -- Each under the agencies of its open involvements, or under none (the statement locked these children, so
    -- no writer of their involvements is between its count and this one).
    SELECT array_agg(k.agency_id), array_agg(u.born_on), array_agg(u.area_id), array_agg(u.gender),
           array_agg(u.ethnicity), array_agg(u.sign)
    INTO agencies, borns, areas, genders, ethnicities, signs
    FROM unnest(kids, borns, areas, genders, ethnicities, signs)
         AS u(child_id, born_on, area_id, gender, ethnicity, sign)
    CROSS JOIN LATERAL (
        SELECT DISTINCT i.agency_id FROM sharing_involvement i WHERE i.child_id = u.child_id AND i.ended_on IS NULL
        UNION ALL
        SELECT NULL::bigint WHERE NOT EXISTS (
            SELECT 1 FROM sharing_involvement i WHERE i.child_id = u.child_id AND i.ended_on IS NULL
        )
    ) AS k;
    PERFORM sharing_child_counts_add(agencies, borns, areas, genders, ethnicities, signs);
    RETURN NULL;
END
$$;
"""

RECOUNT = """
LOCK TABLE sharing_child, sharing_involvement IN SHARE MODE;
DELETE FROM sharing_childcountbyagencyage;
DELETE FROM sharing_childcountbyagency;
INSERT INTO sharing_childcountbyagencyage (agency_id, born_on, n)
SELECT agency_id, born_on, count(*) FROM (%s) counted GROUP BY 1, 2;
INSERT INTO sharing_childcountbyagency (agency_id, area_id, gender, ethnicity, n)
SELECT agency_id, area_id, gender, ethnicity, count(*) FROM (%s) counted GROUP BY 1, 2, 3, 4;
"""

_OPEN = (
    "SELECT c.born_on, coalesce(c.area_id, '') AS area_id, c.gender, c.ethnicity, "
    "coalesce(i.agency_id, 0) AS agency_id FROM sharing_child c "
    "LEFT JOIN (SELECT DISTINCT child_id, agency_id FROM sharing_involvement WHERE ended_on IS NULL) i "
    "ON i.child_id = c.id WHERE c.merged_into_id IS NULL AND c.closed_on IS NULL"
)
_ALL = _OPEN.removesuffix(" AND c.closed_on IS NULL")


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0007_child_retention"),
    ]

    operations = [
        migrations.RunSQL(COUNTED_NOW, COUNTED_BEFORE),
        migrations.RunSQL(RECOUNT % (_OPEN, _OPEN), RECOUNT % (_ALL, _ALL)),
    ]
