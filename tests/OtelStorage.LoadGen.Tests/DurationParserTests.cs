using OtelStorage.LoadGen.Running;
using Xunit;

namespace OtelStorage.LoadGen.Tests;

public sealed class DurationParserTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("00:00:10", 10_000)]
    public void ParsesUnitsAndTimeSpans(string text, double milliseconds) =>
        Assert.Equal(milliseconds, DurationParser.Parse(text).TotalMilliseconds);

    [Fact]
    public void RejectsTextThatIsNotADurationWithAnExample()
    {
        var error = Assert.Throws<FormatException>(() => DurationParser.Parse("ten seconds"));

        Assert.Contains("30s", error.Message, StringComparison.Ordinal);
    }
}
