using System.Net;
using System.Net.Sockets;

namespace OtelStorage.Testing;

/// <summary>Free loopback ports for servers that tests start.</summary>
public static class FreePort
{
    // Below Linux's ephemeral range (32768-60999). A port the kernel hands out as free is also what it gives the next
    // outgoing connection, so a server started a moment later could find it taken: a test broker once failed to start
    // that way while other tests held hundreds of client connections.
    private const int First = 20_000;
    private const int End = 32_768;

    private static int _next = First + Random.Shared.Next(End - First);

    /// <summary>A port nothing listens on now, outside the range the kernel uses for outgoing connections.</summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < End - First; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % (End - First));
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: try the next one.
            }
        }

        throw new InvalidOperationException($"no free loopback port between {First} and {End}");
    }

    /// <summary>Waits until something accepts TCP connections on the port.</summary>
    public static Task WaitForListenerAsync(int port, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Eventually.TrueAsync(
            async ct =>
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port, ct);
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
            },
            timeout,
            cancellationToken,
            what: $"a listener on port {port}");
}
