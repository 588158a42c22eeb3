using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocklist;
using Query.Api.Options;
using Query.Api.Reading;
using Query.Api.Telemetry;
using Query.Api.Tenancy;

namespace Query.Api.Apis;

/// <summary>What every query handler needs, injected as one <c>[AsParameters]</c> record.</summary>
public sealed record QueryServices(
    HttpContext Http,
    TraceReader Traces,
    SpanSearcher Search,
    MetadataReader Metadata,
    IOptions<QueryOptions> Options,
    IOptions<BlocklistOptions> Blocklist,
    TimeProvider Time,
    QueryTelemetry Telemetry)
{
    /// <summary>The tenant of this request, from <c>X-Scope-OrgID</c>.</summary>
    public string Tenant => TenantMiddleware.GetTenant(Http);

    public CancellationToken Aborted => Http.RequestAborted;

    /// <summary>Sets <see cref="SearchResult.PartialHeader"/> when the search was cut short by its timeout.</summary>
    public void MarkPartial(SearchResult result)
    {
        if (result.PartialReason is { } reason)
        {
            Http.Response.Headers[SearchResult.PartialHeader] = reason;
        }
    }

    /// <summary>True when the client asked for protobuf (OTLP's <c>application/x-protobuf</c> or Tempo's <c>application/protobuf</c>).</summary>
    public bool WantsProtobuf =>
        Http.Request.Headers.Accept.Any(a => a is not null
            && (a.Contains("application/x-protobuf", StringComparison.OrdinalIgnoreCase) || a.Contains("application/protobuf", StringComparison.OrdinalIgnoreCase)));
}
