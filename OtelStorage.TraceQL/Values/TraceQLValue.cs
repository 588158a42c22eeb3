using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace OtelStorage.TraceQL.Values;

/// <summary>
/// A typed TraceQL value: a literal in a query, an attribute or intrinsic of a span, or the result of an expression.
/// Attribute values are strings, integers, floats, booleans and arrays of those; durations, statuses and kinds come from
/// literals and intrinsics. <c>default</c> is <see cref="Nil"/>.
/// </summary>
public readonly struct TraceQLValue : IEquatable<TraceQLValue>
{
    private readonly long _bits;
    private readonly object? _reference;

    private TraceQLValue(TraceQLType type, long bits, object? reference)
    {
        Type = type;
        _bits = bits;
        _reference = reference;
    }

    /// <summary>The value's type.</summary>
    public TraceQLType Type { get; }

    /// <summary>No value.</summary>
    public static TraceQLValue Nil => default;

    /// <summary>True when this is <see cref="Nil"/>.</summary>
    public bool IsNil => Type == TraceQLType.Nil;

    /// <summary>True for integers, floats and durations, which compare with one another.</summary>
    public bool IsNumeric => Type is TraceQLType.Int or TraceQLType.Float or TraceQLType.Duration;

    /// <summary>True for the array types.</summary>
    public bool IsArray => Type is TraceQLType.IntArray or TraceQLType.FloatArray or TraceQLType.StringArray or TraceQLType.BoolArray;

    /// <summary>A string value.</summary>
    public static TraceQLValue String(string value) => new(TraceQLType.String, 0, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>An integer value.</summary>
    public static TraceQLValue Int(long value) => new(TraceQLType.Int, value, null);

    /// <summary>A float value.</summary>
    public static TraceQLValue Float(double value) => new(TraceQLType.Float, BitConverter.DoubleToInt64Bits(value), null);

    /// <summary>A boolean value.</summary>
    public static TraceQLValue Bool(bool value) => new(TraceQLType.Bool, value ? 1 : 0, null);

    /// <summary>A duration of <paramref name="nanoseconds"/>.</summary>
    public static TraceQLValue Duration(long nanoseconds) => new(TraceQLType.Duration, nanoseconds, null);

    /// <summary>A span status.</summary>
    public static TraceQLValue Status(SpanStatus value) => new(TraceQLType.Status, (long)value, null);

    /// <summary>A span kind.</summary>
    public static TraceQLValue Kind(SpanKind value) => new(TraceQLType.Kind, (long)value, null);

    /// <summary>An array of integers.</summary>
    public static TraceQLValue IntArray(IEnumerable<long> values) => new(TraceQLType.IntArray, 0, values.ToImmutableArray());

    /// <summary>An array of floats.</summary>
    public static TraceQLValue FloatArray(IEnumerable<double> values) => new(TraceQLType.FloatArray, 0, values.ToImmutableArray());

    /// <summary>An array of strings.</summary>
    public static TraceQLValue StringArray(IEnumerable<string> values) => new(TraceQLType.StringArray, 0, values.ToImmutableArray());

    /// <summary>An array of booleans.</summary>
    public static TraceQLValue BoolArray(IEnumerable<bool> values) => new(TraceQLType.BoolArray, 0, values.ToImmutableArray());

    /// <summary>The string of a <see cref="TraceQLType.String"/> value.</summary>
    public string AsString() => Type == TraceQLType.String ? (string)_reference! : throw WrongType(TraceQLType.String);

    /// <summary>The integer of an <see cref="TraceQLType.Int"/> value.</summary>
    public long AsInt() => Type == TraceQLType.Int ? _bits : throw WrongType(TraceQLType.Int);

    /// <summary>The boolean of a <see cref="TraceQLType.Bool"/> value.</summary>
    public bool AsBool() => Type == TraceQLType.Bool ? _bits != 0 : throw WrongType(TraceQLType.Bool);

    /// <summary>The nanoseconds of a <see cref="TraceQLType.Duration"/> value.</summary>
    public long AsDurationNanoseconds() => Type == TraceQLType.Duration ? _bits : throw WrongType(TraceQLType.Duration);

    /// <summary>The status of a <see cref="TraceQLType.Status"/> value.</summary>
    public SpanStatus AsStatus() => Type == TraceQLType.Status ? (SpanStatus)_bits : throw WrongType(TraceQLType.Status);

    /// <summary>The kind of a <see cref="TraceQLType.Kind"/> value.</summary>
    public SpanKind AsKind() => Type == TraceQLType.Kind ? (SpanKind)_bits : throw WrongType(TraceQLType.Kind);

    /// <summary>Integers, durations (in nanoseconds) and floats as a double; NaN for anything else.</summary>
    public double AsDouble() => Type switch
    {
        TraceQLType.Float => BitConverter.Int64BitsToDouble(_bits),
        TraceQLType.Int or TraceQLType.Duration => _bits,
        _ => double.NaN,
    };

    /// <summary>True for <c>true</c>; false for <c>false</c> and for every other type.</summary>
    public bool IsTrue => Type == TraceQLType.Bool && _bits != 0;

    /// <summary>The number of elements of an array value; 0 for scalars.</summary>
    public int ArrayLength => _reference switch
    {
        ImmutableArray<long> a => a.Length,
        ImmutableArray<double> a => a.Length,
        ImmutableArray<string> a => a.Length,
        ImmutableArray<bool> a => a.Length,
        _ => 0,
    };

    /// <summary>Element <paramref name="index"/> of an array value, as a scalar value.</summary>
    public TraceQLValue ElementAt(int index) => _reference switch
    {
        ImmutableArray<long> a => Int(a[index]),
        ImmutableArray<double> a => Float(a[index]),
        ImmutableArray<string> a => String(a[index]),
        ImmutableArray<bool> a => Bool(a[index]),
        _ => throw new InvalidOperationException($"a {Type} value has no elements"),
    };

    /// <summary>True when both values have the same type and the same content (arrays element by element).</summary>
    public bool Equals(TraceQLValue other)
    {
        if (Type != other.Type)
        {
            return false;
        }

        return _reference switch
        {
            null => _bits == other._bits,
            string s => s == (string)other._reference!,
            ImmutableArray<long> a => a.SequenceEqual((ImmutableArray<long>)other._reference!),
            ImmutableArray<double> a => a.SequenceEqual((ImmutableArray<double>)other._reference!),
            ImmutableArray<string> a => a.SequenceEqual((ImmutableArray<string>)other._reference!, StringComparer.Ordinal),
            ImmutableArray<bool> a => a.SequenceEqual((ImmutableArray<bool>)other._reference!),
            _ => false,
        };
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TraceQLValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Type);
        switch (_reference)
        {
            case null: hash.Add(_bits); break;
            case string s: hash.Add(s, StringComparer.Ordinal); break;
            default:
                for (var i = 0; i < ArrayLength; i++)
                {
                    hash.Add(ElementAt(i).GetHashCode());
                }

                break;
        }

        return hash.ToHashCode();
    }

    /// <summary>Same type and content.</summary>
    public static bool operator ==(TraceQLValue left, TraceQLValue right) => left.Equals(right);

    /// <summary>Different type or content.</summary>
    public static bool operator !=(TraceQLValue left, TraceQLValue right) => !left.Equals(right);

    /// <summary>The value as TraceQL writes it: strings quoted, durations with a unit, arrays in brackets.</summary>
    public override string ToString()
    {
        var value = this;
        return Type switch
        {
            TraceQLType.Nil => "nil",
            TraceQLType.Bool => _bits != 0 ? "true" : "false",
            TraceQLType.Int => _bits == long.MinValue ? "minInt" : _bits.ToString(CultureInfo.InvariantCulture),
            TraceQLType.Float => FormatFloat(BitConverter.Int64BitsToDouble(_bits)),
            TraceQLType.String => Quote((string)_reference!),
            TraceQLType.Duration => DurationText.Format(_bits),
            TraceQLType.Status => ((SpanStatus)_bits).ToString().ToLowerInvariant(),
            TraceQLType.Kind => ((SpanKind)_bits).ToString().ToLowerInvariant(),
            _ => "[" + string.Join(", ", Enumerable.Range(0, ArrayLength).Select(i => value.ElementAt(i).ToString())) + "]",
        };
    }

    /// <summary>Writes <paramref name="text"/> as a double-quoted TraceQL string.</summary>
    public static string Quote(string text)
    {
        var quoted = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }

    private static string FormatFloat(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return double.IsFinite(value) && !text.Contains('.', StringComparison.Ordinal) && !text.Contains('E', StringComparison.Ordinal) ? text + ".0" : text;
    }

    private InvalidOperationException WrongType(TraceQLType expected) => new($"the value is {Type}, not {expected}");
}
