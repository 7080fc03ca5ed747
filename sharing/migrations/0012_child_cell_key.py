"""The cell-key method's record key (issue 11; DESIGN 2.3; sharing.cell_key: ONS Census 2021, ABS TableBuilder):
`Child.cell_key`, 0 to 255, drawn at random for every child there is (PostgreSQL evaluates the column's volatile
default once per row when it adds it) and for each child added (`sharing.models.children.new_cell_key`; the
database default for rows written outside the ORM); and, kept with the aggregate tier's counts by agency, the sum
of the counted children's keys (`key_sum`), so a table by agency reads each cell's key from the few thousand kept
rows as it reads its count (a cell of child-agency pairs has the sum over its pairs).

The trigger functions of migration 0008 are replaced by the same ones carrying each child's key: a count's +1 or
-1 brings +key or -key to the sum, and a changed key (an UPDATE of `cell_key`) moves the child's key as a changed
date of birth moves its count. `sharing_child_counts_add` takes the key differences as a seventh argument (the
six-argument one goes). Then the counts and sums are taken again.
"""

from django.db import migrations, models

import sharing.models.children
from sharing.cell_key import KEY_RANGE

KEYED = """
CREATE FUNCTION sharing_child_counts_add(
    agencies bigint[], borns date[], areas text[], genders text[], ethnicities text[], deltas integer[],
    key_deltas integer[]
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO sharing_childcountbyagencyage AS t (agency_id, born_on, n, key_sum)
    SELECT coalesce(agency_id, 0), born_on, sum(delta), sum(key_delta)
    FROM unnest(agencies, borns, deltas, key_deltas) AS u(agency_id, born_on, delta, key_delta)
    GROUP BY 1, 2 HAVING sum(delta) <> 0 OR sum(key_delta) <> 0 ORDER BY 1, 2
    ON CONFLICT (agency_id, born_on) DO UPDATE SET n = t.n + excluded.n, key_sum = t.key_sum + excluded.key_sum;
    INSERT INTO sharing_childcountbyagency AS t (agency_id, area_id, gender, ethnicity, n, key_sum)
    SELECT coalesce(agency_id, 0), coalesce(area_id, ''), gender, ethnicity, sum(delta), sum(key_delta)
    FROM unnest(agencies, areas, genders, ethnicities, deltas, key_deltas)
         AS u(agency_id, area_id, gender, ethnicity, delta, key_delta)
    GROUP BY 1, 2, 3, 4 HAVING sum(delta) <> 0 OR sum(key_delta) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (agency_id, area_id, gender, ethnicity) DO UPDATE
        SET n = t.n + excluded.n, key_sum = t.key_sum + excluded.key_sum;
$$;

CREATE OR REPLACE FUNCTION sharing_involvement_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kids bigint[];
    agencies bigint[];
    signs integer[];
    borns date[];
    areas text[];
    genders text[];
    ethnicities text[];
    key_deltas integer[];
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
           array_agg(c.ethnicity), array_agg(k.d), array_agg(k.d * c.cell_key)
    INTO agencies, borns, areas, genders, ethnicities, signs, key_deltas
    FROM keyed k JOIN sharing_child c ON c.id = k.child_id AND (c.merged_into_id IS NULL AND c.closed_on IS NULL)
    WHERE k.d <> 0;
    IF signs IS NOT NULL THEN
        PERFORM sharing_child_counts_add(agencies, borns, areas, genders, ethnicities, signs, key_deltas);
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
    cell_keys integer[];
    key_deltas integer[];
BEGIN
    -- The children (not merged) the statement added (+1) and took away (-1), with their values.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(id), array_agg(born_on), array_agg(area_id), array_agg(gender), array_agg(ethnicity),
               array_agg(1), array_agg(cell_key)
        INTO kids, borns, areas, genders, ethnicities, signs, cell_keys
        FROM new_rows WHERE (merged_into_id IS NULL AND closed_on IS NULL);
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(id), array_agg(born_on), array_agg(area_id), array_agg(gender), array_agg(ethnicity),
               array_agg(-1), array_agg(cell_key)
        INTO kids, borns, areas, genders, ethnicities, signs, cell_keys
        FROM old_rows WHERE (merged_into_id IS NULL AND closed_on IS NULL);
    ELSE
        SELECT array_agg(u.id), array_agg(u.born_on), array_agg(u.area_id), array_agg(u.gender),
               array_agg(u.ethnicity), array_agg(u.sign), array_agg(u.cell_key)
        INTO kids, borns, areas, genders, ethnicities, signs, cell_keys
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (
            VALUES (o.id, o.born_on, o.area_id, o.gender, o.ethnicity, -1, o.cell_key, (o.merged_into_id IS NULL AND o.closed_on IS NULL)),
                   (n.id, n.born_on, n.area_id, n.gender, n.ethnicity, 1, n.cell_key, (n.merged_into_id IS NULL AND n.closed_on IS NULL))
        ) AS u(id, born_on, area_id, gender, ethnicity, sign, cell_key, counted)
        WHERE u.counted
          AND (o.born_on, o.area_id, o.gender, o.ethnicity, o.cell_key, (o.merged_into_id IS NULL AND o.closed_on IS NULL))
              IS DISTINCT FROM (n.born_on, n.area_id, n.gender, n.ethnicity, n.cell_key, (n.merged_into_id IS NULL AND n.closed_on IS NULL));
    END IF;
    IF kids IS NULL THEN
        RETURN NULL;
    END IF;
    -- Each under the agencies of its open involvements, or under none (the statement locked these children, so
    -- no writer of their involvements is between its count and this one).
    SELECT array_agg(k.agency_id), array_agg(u.born_on), array_agg(u.area_id), array_agg(u.gender),
           array_agg(u.ethnicity), array_agg(u.sign), array_agg(u.sign * u.cell_key)
    INTO agencies, borns, areas, genders, ethnicities, signs, key_deltas
    FROM unnest(kids, borns, areas, genders, ethnicities, signs, cell_keys)
         AS u(child_id, born_on, area_id, gender, ethnicity, sign, cell_key)
    CROSS JOIN LATERAL (
        SELECT DISTINCT i.agency_id FROM sharing_involvement i WHERE i.child_id = u.child_id AND i.ended_on IS NULL
        UNION ALL
        SELECT NULL::bigint WHERE NOT EXISTS (
            SELECT 1 FROM sharing_involvement i WHERE i.child_id = u.child_id AND i.ended_on IS NULL
        )
    ) AS k;
    PERFORM sharing_child_counts_add(agencies, borns, areas, genders, ethnicities, signs, key_deltas);
    RETURN NULL;
END
$$;
"""

# The six-argument function of migration 0006, which the triggers of 0008 call: dropped going forward (it no
# longer adds the keys), made again going back.
OLD_ADD = """
CREATE FUNCTION sharing_child_counts_add(
    agencies bigint[], borns date[], areas text[], genders text[], ethnicities text[], deltas integer[]
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO sharing_childcountbyagencyage AS t (agency_id, born_on, n)
    SELECT coalesce(agency_id, 0), born_on, sum(delta)
    FROM unnest(agencies, borns, deltas) AS u(agency_id, born_on, delta)
    GROUP BY 1, 2 HAVING sum(delta) <> 0 ORDER BY 1, 2
    ON CONFLICT (agency_id, born_on) DO UPDATE SET n = t.n + excluded.n;
    INSERT INTO sharing_childcountbyagency AS t (agency_id, area_id, gender, ethnicity, n)
    SELECT coalesce(agency_id, 0), coalesce(area_id, ''), gender, ethnicity, sum(delta)
    FROM unnest(agencies, areas, genders, ethnicities, deltas) AS u(agency_id, area_id, gender, ethnicity, delta)
    GROUP BY 1, 2, 3, 4 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (agency_id, area_id, gender, ethnicity) DO UPDATE SET n = t.n + excluded.n;
$$;
"""
DROP_OLD_ADD = """
DROP FUNCTION sharing_child_counts_add(bigint[], date[], text[], text[], text[], integer[]);
"""

RECOUNT = """
LOCK TABLE sharing_child, sharing_involvement IN SHARE MODE;
DELETE FROM sharing_childcountbyagencyage;
DELETE FROM sharing_childcountbyagency;
INSERT INTO sharing_childcountbyagencyage (agency_id, born_on, n, key_sum)
SELECT agency_id, born_on, count(*), sum(cell_key) FROM (%s) counted GROUP BY 1, 2;
INSERT INTO sharing_childcountbyagency (agency_id, area_id, gender, ethnicity, n, key_sum)
SELECT agency_id, area_id, gender, ethnicity, count(*), sum(cell_key) FROM (%s) counted GROUP BY 1, 2, 3, 4;
"""

_COUNTED = (
    "SELECT c.born_on, coalesce(c.area_id, '') AS area_id, c.gender, c.ethnicity, c.cell_key, "
    "coalesce(i.agency_id, 0) AS agency_id FROM sharing_child c "
    "LEFT JOIN (SELECT DISTINCT child_id, agency_id FROM sharing_involvement WHERE ended_on IS NULL) i "
    "ON i.child_id = c.id WHERE c.merged_into_id IS NULL AND c.closed_on IS NULL"
)

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

# Going back: the functions of migration 0008 (calling the six-argument function, made again first), and the
# seven-argument one goes.
UNKEYED = (
    COUNTED_BEFORE
    + """
DROP FUNCTION sharing_child_counts_add(bigint[], date[], text[], text[], text[], integer[], integer[]);
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0011_grant_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="child",
            name="cell_key",
            field=models.SmallIntegerField(
                db_default=sharing.models.children.CELL_KEY_DRAWN,
                default=sharing.models.children.new_cell_key,
                editable=False,
            ),
        ),
        migrations.AddField(
            model_name="childcountbyagency",
            name="key_sum",
            field=models.BigIntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name="childcountbyagencyage",
            name="key_sum",
            field=models.BigIntegerField(db_default=0),
        ),
        migrations.AddConstraint(
            model_name="child",
            constraint=models.CheckConstraint(
                condition=models.Q(("cell_key__gte", 0), ("cell_key__lt", KEY_RANGE)), name="child_cell_key_range"
            ),
        ),
        migrations.RunSQL(KEYED, UNKEYED),
        migrations.RunSQL(DROP_OLD_ADD, OLD_ADD),
        migrations.RunSQL(RECOUNT % (_COUNTED, _COUNTED), migrations.RunSQL.noop),
    ]
