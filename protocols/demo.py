"""``bioneuro demo``: a short tour of the library on data that ships with the installation.

For now: a current clamp of a classic Hodgkin–Huxley neuron and of a leaky integrate-and-fire neuron (the
``current-clamp`` protocol run twice), drawn as voltage traces and one raster. The tour grows as models arrive.
"""

from __future__ import annotations

import dataclasses

from bioneuro.config import check_fields, param, parameters_to_dict
from bioneuro.io.record import RunRecord
from bioneuro.registry import Runnable, get_runnable

__all__ = ["DemoParameters", "run_demo", "RUNNABLES"]

#: Neuron models of the tour: (population name in the run record, catalog name).
TOUR_NEURONS = (("hodgkin_huxley", "hodgkin-huxley"), ("lif", "lif"))


@dataclasses.dataclass(frozen=True)
class DemoParameters:
    """Parameters of the demo tour (each part uses its protocol's defaults otherwise)."""

    neurons: tuple = param(tuple(name for _, name in TOUR_NEURONS),
                           help="catalog names of the neurons to current-clamp")

    def __post_init__(self):
        check_fields(self)


def run_demo(parameters: DemoParameters, context) -> RunRecord:
    """Run every part of the tour and merge their records (one population per neuron model)."""
    clamp = get_runnable("current-clamp")
    record = RunRecord(kind="task", name="demo")
    for neuron in parameters.neurons:
        population = neuron.replace("-", "_")
        clamp_parameters = dataclasses.replace(clamp.parameters(), neuron=_neuron(clamp, neuron))
        part = clamp.execute(clamp_parameters, context)
        trains = part.spikes["neuron"]
        if trains.t_stop is None:  # the window of the clamp is the recorded trace
            times = part.states["neuron"]["v"].times
            trains = dataclasses.replace(trains, t_start=0 * times[0], t_stop=times[-1] + (times[1] - times[0]))
        record.spikes[population] = trains
        record.states[population] = part.states["neuron"]
        for key, value in part.metrics.items():
            record.metrics[f"{population}.{key}"] = value
        for key, value in part.arrays.items():
            record.arrays[f"{population}.{key}"] = value
        record.parameters[population] = {**parameters_to_dict(clamp_parameters), **part.parameters}
    return record


def _neuron(clamp: Runnable, name: str):
    field = next(f for f in dataclasses.fields(clamp.parameters) if f.name == "neuron")
    choices = field.metadata["choices"]
    if name not in choices:
        raise ValueError(f"demo: unknown neuron {name!r}; expected one of {', '.join(choices)}")
    return choices[name]()


def demo_figures(record: RunRecord) -> dict:
    """Voltage traces of each neuron (the current-clamp figure) and a raster of all of them."""
    from bioneuro.analysis.raster import Raster
    from bioneuro.plotting.raster import plot_raster

    clamp = get_runnable("current-clamp")
    figures = {}
    for population in record.spikes:
        part = RunRecord(kind="protocol", name="current-clamp", spikes={"neuron": record.spikes[population]},
                         states={"neuron": record.states[population]},
                         metrics={k.split(".", 1)[1]: v for k, v in record.metrics.items()
                                  if k.startswith(population + ".")},
                         arrays={k.split(".", 1)[1]: v for k, v in record.arrays.items()
                                 if k.startswith(population + ".")},
                         parameters=record.parameters.get(population, {}))
        for key, figure in (clamp.figures(part) if clamp.figures else {}).items():
            figures[f"{population}_{key}"] = figure
    t_stop = max(float(trace.times[-1]) for states in record.states.values() for trace in states.values())
    rasters = {population: Raster.from_spike_trains(trains, t_start=0.0, t_stop=t_stop)
               for population, trains in record.spikes.items()}
    figures["raster"] = plot_raster(rasters, title="current clamp: spikes of each neuron")
    return figures


RUNNABLES = [
    Runnable(
        name="demo",
        kind="task",
        summary="short tour on embedded data: current clamp of Hodgkin-Huxley and LIF neurons",
        parameters=DemoParameters,
        execute=run_demo,
        figures=demo_figures,
    )
]
