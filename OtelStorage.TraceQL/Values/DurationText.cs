using System.Globalization;

namespace OtelStorage.TraceQL.Values;

/// <summary>
/// TraceQL duration literals: one or more number-unit pairs such as <c>100ms</c>, <c>1.5s</c> or <c>1h30m</c>, with the
/// units Go's <c>time.ParseDuration</c> knows (ns, us, µs, ms, s, m, h) and the PromQL ones Tempo also accepts (d, w, y).
/// </summary>
public static class DurationText
{
    private const long Microsecond = 1_000;
    private const long Millisecond = 1_000_000;
    private const long Second = 1_000_000_000;
    private const long Minute = 60 * Second;
    private const long Hour = 60 * Minute;
    private const long Day = 24 * Hour;

    private static readonly (string Unit, long Nanos)[] Units =
    [
        ("ns", 1), ("us", Microsecond), ("\u00b5s", Microsecond), ("\u03bcs", Microsecond), ("ms", Millisecond),
        ("s", Second), ("m", Minute), ("h", Hour), ("d", Day), ("w", 7 * Day), ("y", 365 * Day),
    ];

    private static readonly (string Unit, long Nanos)[] FormatUnits =
        [("h", Hour), ("m", Minute), ("s", Second), ("ms", Millisecond), ("us", Microsecond)];

    /// <summary>Parses a duration such as <c>1h30m</c> into nanoseconds; false when the text is not one or overflows.</summary>
    public static bool TryParse(string text, out long nanos)
    {
        nanos = 0;
        var total = 0m;
        var position = 0;
        while (position < text.Length)
        {
            var numberStart = position;
            while (position < text.Length && (char.IsAsciiDigit(text[position]) || text[position] == '.'))
            {
                position++;
            }

            if (!decimal.TryParse(text.AsSpan(numberStart, position - numberStart), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unit = LongestUnitAt(text, position);
            if (unit.Unit is null)
            {
                return false;
            }

            position += unit.Unit.Length;
            if (number > (decimal)long.MaxValue / unit.Nanos)
            {
                return false;
            }

            total += decimal.Truncate(number * unit.Nanos);
            if (total > long.MaxValue)
            {
                return false;
            }
        }

        nanos = (long)total;
        return text.Length > 0;
    }

    /// <summary>Writes nanoseconds in the largest unit that divides them exactly, so that the text parses back to the same value.</summary>
    public static string Format(long nanos)
    {
        if (nanos == 0)
        {
            return "0s";
        }

        if (nanos < 0)
        {
            return nanos == long.MinValue ? "-9223372036854775808ns" : "-" + Format(-nanos);
        }

        foreach (var (unit, size) in FormatUnits)
        {
            if (nanos % size == 0)
            {
                return (nanos / size).ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        return nanos.ToString(CultureInfo.InvariantCulture) + "ns";
    }

    private static (string? Unit, long Nanos) LongestUnitAt(string text, int position)
    {
        (string? Unit, long Nanos) best = (null, 0);
        foreach (var candidate in Units)
        {
            if (position + candidate.Unit.Length <= text.Length
                && string.CompareOrdinal(text, position, candidate.Unit, 0, candidate.Unit.Length) == 0
                && (best.Unit is null || candidate.Unit.Length > best.Unit.Length))
            {
                best = candidate;
            }
        }

        return best;
    }
}
