using System.Collections.Frozen;

namespace OtelStorage.Storage.Blocks;

/// <summary>
/// A span column a search can filter on before any span is decoded. String columns hold the empty string, and integer
/// columns zero, when the span has no value for them.
/// </summary>
public enum SpanColumn
{
    /// <summary>
    /// The resource attribute <c>service.name</c>, a string. The column holds <see cref="StoredSpan.ServiceName"/>, which
    /// <see cref="SpanQuery.Service"/> filters as it is.
    /// </summary>
    Service,

    /// <summary>The span name.</summary>
    Name,

    /// <summary>The OTLP span kind number.</summary>
    Kind,

    /// <summary>The OTLP status code: 0 unset, 1 ok, 2 error.</summary>
    Status,

    /// <summary>End minus start, in nanoseconds.</summary>
    Duration,

    /// <summary>The start, in Unix nanoseconds.</summary>
    Start,

    /// <summary>The span attribute <c>http.request.method</c> (or the older <c>http.method</c> when the span lacks it), a string.</summary>
    HttpMethod,

    /// <summary>The span attribute <c>http.response.status_code</c> (or the older <c>http.status_code</c>), an integer or a string that parses as one.</summary>
    HttpStatusCode,

    /// <summary>The span attribute <c>http.route</c>, a string.</summary>
    HttpRoute,

    /// <summary>The span attribute <c>db.system.name</c> (or the older <c>db.system</c>), a string.</summary>
    DbSystem,
}

/// <summary>
/// A condition on one <see cref="SpanColumn"/> that a block reader checks on the column alone: a set of allowed
/// values, a test run once per distinct string, or an inclusive integer range. It also rules out whole row groups by
/// their min/max statistics where it can.
/// </summary>
/// <remarks>
/// On <see cref="SpanColumn.Service"/> and the attribute columns the condition speaks about the column's attribute, and
/// its first key (<c>http.response.status_code</c>, not the older key): a reader applies it only to row groups where
/// the column is known to hold, for every span that has that attribute, the attribute's value; elsewhere the condition
/// lets every row through. A span without the attribute may be dropped, since no comparison holds for a missing value.
/// </remarks>
public sealed class ColumnPredicate
{
    private readonly FrozenSet<string>? _strings;
    private readonly FrozenSet<long>? _numbers;
    private readonly Func<string, bool>? _test;

    private ColumnPredicate(SpanColumn column, FrozenSet<string>? strings, FrozenSet<long>? numbers, Func<string, bool>? test, long min, long max, bool onStoredValue = false)
    {
        OnStoredValue = onStoredValue;
        Column = column;
        _strings = strings;
        _numbers = numbers;
        _test = test;
        Min = min;
        Max = max;
    }

    /// <summary>The column the condition is on.</summary>
    public SpanColumn Column { get; }

    /// <summary>The lowest value an integer column may hold; <see cref="long.MinValue"/> when unbounded.</summary>
    public long Min { get; }

    /// <summary>The highest value an integer column may hold; <see cref="long.MaxValue"/> when unbounded.</summary>
    public long Max { get; }

    /// <summary>The allowed values of a string column, or null when this is not a set.</summary>
    public IReadOnlySet<string>? Strings => _strings;

    /// <summary>The allowed values of an integer column, or null when this is not a set.</summary>
    public IReadOnlySet<long>? Numbers => _numbers;

    /// <summary>True when the condition is on the value as stored, applied in every row group (<see cref="SpanQuery.Service"/>).</summary>
    internal bool OnStoredValue { get; }

    /// <summary>True for the string columns.</summary>
    public static bool IsString(SpanColumn column) =>
        column is SpanColumn.Service or SpanColumn.Name or SpanColumn.HttpMethod or SpanColumn.HttpRoute or SpanColumn.DbSystem;

    /// <summary>The column holds one of <paramref name="values"/> (from <c>=</c>, or <c>||</c> of <c>=</c>).</summary>
    public static ColumnPredicate AnyOf(SpanColumn column, IEnumerable<string> values) =>
        new(Checked(column, text: true), values.ToFrozenSet(StringComparer.Ordinal), null, null, long.MinValue, long.MaxValue);

    /// <summary>The integer column holds one of <paramref name="values"/>.</summary>
    public static ColumnPredicate AnyOf(SpanColumn column, IEnumerable<long> values) =>
        new(Checked(column, text: false), null, values.ToFrozenSet(), null, long.MinValue, long.MaxValue);

    /// <summary>
    /// The string column's value passes <paramref name="test"/> (a pattern, <c>!=</c>). The test runs once per distinct
    /// value of a row group; it must be pure, and should return true when it cannot decide (a regex timeout).
    /// </summary>
    public static ColumnPredicate Matching(SpanColumn column, Func<string, bool> test) =>
        new(Checked(column, text: true), null, null, test ?? throw new ArgumentNullException(nameof(test)), long.MinValue, long.MaxValue);

    /// <summary>The integer column lies in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static ColumnPredicate Between(SpanColumn column, long min, long max) =>
        new(Checked(column, text: false), null, null, null, min, max);

    /// <summary>The stored service name is <paramref name="service"/>: what <see cref="SpanQuery.Service"/> asks.</summary>
    internal static ColumnPredicate StoredService(string service) =>
        new(SpanColumn.Service, new[] { service }.ToFrozenSet(StringComparer.Ordinal), null, null, long.MinValue, long.MaxValue, onStoredValue: true);

    /// <summary>True when the string value passes.</summary>
    public bool Matches(string value) => _strings?.Contains(value) ?? _test?.Invoke(value) ?? true;

    /// <summary>True when the integer value passes.</summary>
    public bool Matches(long value) => value >= Min && value <= Max && (_numbers is null || _numbers.Contains(value));

    /// <summary>False when no integer in [<paramref name="min"/>, <paramref name="max"/>] passes.</summary>
    public bool MayMatch(long min, long max) =>
        min <= Max && max >= Min && (_numbers is null || _numbers.Any(n => n >= min && n <= max));

    /// <summary>False when no string between <paramref name="min"/> and <paramref name="max"/> (UTF-8 bytes, as Parquet orders them) passes.</summary>
    public bool MayMatch(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max)
    {
        if (_strings is null)
        {
            return true;
        }

        Span<byte> buffer = stackalloc byte[256];
        foreach (var value in _strings)
        {
            var utf8 = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length) <= buffer.Length
                ? buffer[..System.Text.Encoding.UTF8.GetBytes(value, buffer)]
                : System.Text.Encoding.UTF8.GetBytes(value);
            if (utf8.SequenceCompareTo(min) >= 0 && utf8.SequenceCompareTo(max) <= 0)
            {
                return true;
            }
        }

        return false;
    }

    private static SpanColumn Checked(SpanColumn column, bool text) =>
        !Enum.IsDefined(column) ? throw new ArgumentOutOfRangeException(nameof(column), column, "is not a span column")
        : IsString(column) == text ? column
        : throw new ArgumentException($"column {column} holds {(text ? "integers" : "strings")}, not {(text ? "strings" : "integers")}", nameof(column));
}
