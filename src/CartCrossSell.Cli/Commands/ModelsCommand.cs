using System.CommandLine;
using CartCrossSell.Cli.Hosting;
using CartCrossSell.Contracts;
using CartCrossSell.Streams;
using CartCrossSell.Topologies.Recommending;

namespace CartCrossSell.Cli.Commands;

/// <summary>
/// <c>cartxsell models publish FILE</c> and <c>cartxsell models retire</c>: put a ranking model (from
/// <c>train-ranker</c>) in service on every running recommender, or take it out (the heuristic ranks again), through
/// the compacted <c>ranking-models</c> topic. No restart: each recommender swaps at its next cart event.
/// </summary>
public static class ModelsCommand
{
    public static Command Build()
    {
        var config = CommonOptions.Config();
        var bootstrap = CommonOptions.BootstrapServers();
        var file = new Argument<string>("file") { Description = "A model written by train-ranker" };
        var publish = new Command("publish", "Validate a ranking model and put it in service on every recommender");
        publish.Add(file);
        publish.Add(config);
        publish.Add(bootstrap);
        publish.SetAction(async (parse, ct) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var path = parse.GetValue(file)!;
            if (!EngineInputs.TryLoadModel(path, error, servable: true, out var model)) return 2;
            var bytes = model!.ToBytes();
            if (bytes.Length > ModelTable.MaxModelBytes)
            {
                await error.WriteLineAsync($"{path}: the model is {bytes.Length:N0} bytes; a Kafka record holds at most {ModelTable.MaxModelBytes:N0} (train fewer or smaller trees)");
                return 2;
            }
            await SendAsync(parse, config, bootstrap, bytes, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync(
                $"model {model.Version} ({bytes.Length:N0} bytes, validated on orders from {model.TrainedAt:yyyy-MM-dd HH:mm} UTC) published to {Topics.RankingModels}: every recommender ranks with it from its next cart event");
            return 0;
        });
        var retire = new Command("retire", "Take the model out of service: every recommender ranks with the heuristic again");
        retire.Add(config);
        retire.Add(bootstrap);
        retire.SetAction(async (parse, ct) =>
        {
            await SendAsync(parse, config, bootstrap, null, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"model retired ({Topics.RankingModels} tombstone): the heuristic ranks from each recommender's next cart event");
            return 0;
        });
        var models = new Command("models", "The ranking model in service (ranking-models topic)");
        models.Add(publish);
        models.Add(retire);
        return models;
    }

    private static async Task SendAsync(ParseResult parse, Option<FileInfo?> config, Option<string?> bootstrap, byte[]? model, CancellationToken ct)
    {
        using var publisher = new EventPublisher(CommonOptions.KafkaOnly(parse, config, bootstrap).Options.Kafka);
        publisher.Publish(Topics.RankingModels, ModelTable.ServingKey, model);
        await publisher.FlushAsync(ct);
    }
}
