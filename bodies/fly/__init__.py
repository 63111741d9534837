"""Adult Drosophila body: the flybody fruit fly (``fruitfly_v2``, from dm-control) on a floor.

    from bodies.fly import FlyBody, ACTUATOR_NAMES
    body = FlyBody()                          # physics_dt = 0.2 ms
    body.reset()
    body.step(action, n_steps=10)             # action: (57,) in [-1, 1], ACTUATOR_NAMES order

See README.md in this folder for provenance, licence, the edits made to the model and the
measured speed. Needs ``pip install 'connectome-gym[fly]'`` (dm-control 1.0.50, mujoco < 4).
"""

from .body import (
    ACTUATOR_NAMES,
    ANTENNA_JOINTS,
    JOINT_NAMES,
    LEG_DOFS,
    LEGS,
    SIDES,
    FlyBody,
    flybody_xml_path,
)

__all__ = ["ACTUATOR_NAMES", "ANTENNA_JOINTS", "JOINT_NAMES", "LEG_DOFS", "LEGS", "SIDES", "FlyBody",
           "flybody_xml_path"]
