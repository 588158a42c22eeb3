using System.ComponentModel.DataAnnotations;
using OtelStorage.Tenancy;

namespace Query.Api.Options;

/// <summary>
/// The <c>Query</c> section: search limits and API keys. The block list keys of the same section
/// (<c>Query:BlockPollInterval</c>, <c>Query:IndexCacheMegabytes</c>…) bind to <see cref="OtelStorage.Storage.Blocklist.BlocklistOptions"/>.
/// Validated at start.
/// </summary>
public sealed class QueryOptions : IValidatableObject
{
    public const string SectionName = "Query";

    /// <summary>The port Query.Api listens on (the seed's <c>server:port</c> wins when set).</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 16686;

    /// <summary>
    /// Block scans (search reads of a whole block's columns) running at once in the whole process, across requests.
    /// A scan holds the block's decoded row groups, up to a few times the block's size, so this bounds search memory
    /// however many searches arrive; scans are CPU-bound, so a small multiple of the cores loses nothing.
    /// </summary>
    [Range(1, 256)]
    public int MaxConcurrentBlockScans { get; set; } = 4;

    /// <summary>
    /// How long a search may read blocks. When it runs out, the search answers with the newest matches found in the
    /// blocks read so far, marked partial, rather than holding the client (and a block scan slot) indefinitely.
    /// Below Grafana's 30 s data source timeout, so Grafana shows the partial answer rather than an error.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.000001", "01:00:00", ErrorMessage = "Query:SearchTimeout must be between 1 µs and 1 hour.")]
    public TimeSpan SearchTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The limit of <c>/spans</c>, <c>/api/traces</c> and <c>/api/search</c> when none is given.</summary>
    [Range(1, 100_000)]
    public int DefaultLimit { get; set; } = 20;

    /// <summary>The largest limit accepted; a larger one is a 400.</summary>
    [Range(1, 100_000)]
    public int MaxLimit { get; set; } = 1000;

    /// <summary>The search window when a request gives no start.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ErrorMessage = "Query:DefaultSearchRange must be between 1 s and 10 years.")]
    public TimeSpan DefaultSearchRange { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// The widest search window accepted; a wider one is a 400. When not configured it is the longest retention period
    /// (<see cref="RetentionPeriodOptions.LongestPeriod"/>, at least <see cref="DefaultSearchRange"/>): blocks older
    /// than that are gone, so a wider range costs nothing more and "last 30 days" works when retention keeps 30 days.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ErrorMessage = "Query:MaxSearchRange must be between 1 s and 10 years.")]
    public TimeSpan MaxSearchRange { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// UTF-8 bytes of tag names or values one tag autocompletion answer holds at most, like Tempo's
    /// <c>max_bytes_per_tag_values_query</c>; a longer list is cut and marked <c>truncated</c> in its metrics.
    /// </summary>
    [Range(1024, 1L << 30)]
    public long MaxBytesPerTagValuesQuery { get; set; } = 1024 * 1024;

    /// <summary>
    /// API keys for every query route (health, <c>/ready</c> and <c>/api/echo</c> excepted), each bound to tenants or
    /// to all (<c>Query:ApiKeys:0:Key</c>, <c>...:0:Tenants:0</c>). Empty means no key is needed. Clients send one as
    /// <c>X-API-Key</c> or <c>Authorization: Bearer</c>.
    /// </summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DefaultLimit > MaxLimit)
        {
            yield return new ValidationResult($"Query:DefaultLimit ({DefaultLimit}) must not exceed Query:MaxLimit ({MaxLimit}).", [nameof(DefaultLimit)]);
        }

        if (DefaultSearchRange > MaxSearchRange)
        {
            yield return new ValidationResult($"Query:DefaultSearchRange ({DefaultSearchRange}) must not exceed Query:MaxSearchRange ({MaxSearchRange}).", [nameof(DefaultSearchRange)]);
        }

        foreach (var (key, i) in ApiKeys.Select((key, i) => (key, i)))
        {
            foreach (var error in key.Validate(validationContext))
            {
                yield return new ValidationResult($"{SectionName}:ApiKeys:{i}: {error.ErrorMessage}", [nameof(ApiKeys)]);
            }
        }
    }
}
