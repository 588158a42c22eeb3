using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OtelStorage.Storage.Blocklist;

/// <summary>Polls every cached tenant's block list each <see cref="BlocklistOptions.BlockPollInterval"/>.</summary>
public sealed class BlocklistPoller(BlockCatalog catalog, IOptions<BlocklistOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.BlockPollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await catalog.PollAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
