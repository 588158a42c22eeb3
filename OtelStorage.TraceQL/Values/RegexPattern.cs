using System.Text.RegularExpressions;

namespace OtelStorage.TraceQL.Values;

/// <summary>
/// TraceQL regular expressions. Tempo anchors every pattern at both ends, so <c>=~ "bar"</c> means <c>^(?:bar)$</c>.
/// They run on .NET's non-backtracking engine: matching is linear in the input, like Go's RE2 that Tempo uses, and the
/// constructs RE2 lacks (backreferences, lookaround) are refused the same way.
/// </summary>
internal static class RegexPattern
{
    private const RegexOptions Options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    /// <summary>Compiles <paramref name="pattern"/> anchored at both ends.</summary>
    /// <exception cref="ArgumentException">The pattern is not a valid regular expression.</exception>
    /// <exception cref="NotSupportedException">The pattern needs backtracking (backreferences, lookaround, atomic groups).</exception>
    public static Regex Compile(string pattern, TimeSpan matchTimeout)
    {
        // Checked alone first: a pattern such as "a\" would otherwise swallow the anchoring group's ')'.
        _ = new Regex(pattern, Options, matchTimeout);
        return new Regex(@"\A(?:" + pattern + @")\z", Options, matchTimeout);
    }

    /// <summary>Compiles <paramref name="pattern"/>, or null when it does not compile.</summary>
    public static Regex? TryCompile(string pattern, TimeSpan matchTimeout)
    {
        try
        {
            return Compile(pattern, matchTimeout);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return null;
        }
    }
}
