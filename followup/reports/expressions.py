"""Database expressions the reports need that Django does not ship, for SQLite and PostgreSQL.

Every date in a report is the patient's local date (the same rule as the scheduling engine, which
counts intervals on local dates), so the zone comes from the patient's row, not from a constant.
Django's own `TruncDate(tzinfo=...)` takes one zone for the whole query; these take a column.
"""

from datetime import date, timedelta

from django.db.models import DateField, FloatField, Func, IntegerField


class LocalDate(Func):
    """The local date of an instant in a time zone named by another column.

    PostgreSQL converts natively; on SQLite, Django registers `django_datetime_cast_date(dt, zone,
    connection zone)` on every connection (it backs `TruncDate`), and it accepts a column as the zone.
    """

    output_field = DateField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((%(expressions)s))::date", arg_joiner=" AT TIME ZONE ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        moment, zone = (compiler.compile(expression) for expression in self.get_source_expressions())
        sql = f"django_datetime_cast_date({moment[0]}, {zone[0]}, %s)"
        return sql, (*moment[1], *zone[1], connection.timezone_name)


class DaysBetween(Func):
    """Whole days from the earlier date to the later one (NULL if either is NULL)."""

    output_field = IntegerField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(julianday(%(expressions)s) AS INTEGER)",
                           arg_joiner=") - julianday(", **extra)

    def __init__(self, later, earlier, **extra):
        super().__init__(later, earlier, **extra)


class DayNumber(Func):
    """A date as a whole number of days since 2000-01-01, so that raw SQL can subtract two of
    them the same way on both databases."""

    EPOCH = date(2000, 1, 1)
    output_field = IntegerField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s - DATE '2000-01-01')", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # julianday() of a date is n.5; the difference of two is a whole number.
        return self.as_sql(compiler, connection, template="CAST(julianday(%(expressions)s) - julianday('2000-01-01') AS INTEGER)", **extra)

    @classmethod
    def of(cls, day):
        return (day - cls.EPOCH).days

    @classmethod
    def to_date(cls, number):
        return None if number is None else cls.EPOCH + timedelta(days=int(number))


class HoursBetween(Func):
    """Hours (with fractions) from the earlier instant to the later one."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0)::float",
                           arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # julianday() is a float of days; rounding to whole milliseconds first gives exact hours.
        return self.as_sql(compiler, connection, template="(ROUND((julianday(%(expressions)s)) * 86400000.0) / 3600000.0)",
                           arg_joiner=") - julianday(", **extra)

    def __init__(self, later, earlier, **extra):
        super().__init__(later, earlier, **extra)


def compiled(queryset):
    """The SQL and parameters of a queryset, to use as a derived table in a larger statement.

    Django cannot group over the result of a window function (SQL forbids it in one SELECT), so
    the reports that need both compute the window in an ORM queryset and aggregate over it in a
    plain outer SELECT that reads the same way on SQLite and PostgreSQL.
    """
    return queryset.query.get_compiler(using=queryset.db).as_sql()


def with_percentile_ranks(derived_sql, vendor, *, partition, value, condition):
    """`derived_sql` with the two window columns `percentile()` needs where the database has no
    percentile function: the rank of `value` among the group's rows that meet `condition`, and
    how many they are. PostgreSQL needs none (it has percentile_cont)."""
    if vendor == "postgresql":
        return derived_sql
    flag = f"CASE WHEN {condition} THEN 1 ELSE 0 END"
    return f"""
        SELECT x.*,
          ROW_NUMBER() OVER (PARTITION BY {partition}, {flag} ORDER BY {value}) AS percentile_rank,
          COUNT(*) OVER (PARTITION BY {partition}, {flag}) AS percentile_count
        FROM ({derived_sql}) x"""


def percentile(value, fraction, condition, vendor):
    """SQL for the `fraction` percentile (0.5: the median) of `value` over the rows of a GROUP BY
    group that meet `condition`, with linear interpolation between neighbours (percentile_cont).

    PostgreSQL computes it natively. SQLite has no percentile function: there it is a conditional
    aggregate over ranks from `with_percentile_ranks`, which gives the same numbers (the tests run
    on both).
    """
    if vendor == "postgresql":
        return f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY {value}) FILTER (WHERE {condition})"
    # Position (0-based) of the percentile: fraction * (count - 1) = whole + part.
    hundredths = round(fraction * 100)
    whole = f"((percentile_count - 1) * {hundredths} / 100)"
    part = f"(((percentile_count - 1) * {hundredths} %% 100) / 100.0)"  # %%: the statement takes parameters

    def at(offset, then):
        return f"MAX(CASE WHEN ({condition}) AND percentile_rank = {whole} + {offset} THEN {then} END)"

    lower, upper = at(1, value), at(2, value)
    return f"({lower} + COALESCE(({upper} - {lower}) * {at(1, part)}, 0))"
