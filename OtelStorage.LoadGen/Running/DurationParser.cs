using System.Globalization;
using System.Text.RegularExpressions;

namespace OtelStorage.LoadGen.Running;

/// <summary>Parses durations such as <c>500ms</c>, <c>30s</c>, <c>2m</c>, <c>1h</c> or <c>00:00:30</c>.</summary>
public static partial class DurationParser
{
    public static TimeSpan Parse(string value)
    {
        var match = Unit().Match(value.Trim());
        if (match.Success)
        {
            var number = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return match.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                _ => TimeSpan.FromHours(number),
            };
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span)
            ? span
            : throw new FormatException($"'{value}' is not a duration: use for example 500ms, 30s, 2m, 1h or 00:00:30");
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)(ms|s|m|h)$")]
    private static partial Regex Unit();
}
