"""The MJCF scene every planar body lives in: a chequered floor plane, one overhead light,
no gravity, no contacts, explicit Euler at the body's physics step. A body passes its own
kinematic chain, tendons and actuators; the look (floor colours, camera clip planes) is its own.
"""

from __future__ import annotations


def planar_scene_mjcf(model: str, physics_dt: float, chain: str, actuators: str, *,
                      extent: float, texrepeat: float, rgb: tuple[str, str], material: str,
                      znear: float, zfar: float, tendons: str = "") -> str:
    """An MJCF document: ``chain`` (bodies) in a floor scene ``extent`` mm across each way."""
    tendon_block = f"\n  <tendon>{tendons}</tendon>" if tendons else ""
    return f"""
<mujoco model="{model}">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="{physics_dt:.9g}" integrator="Euler" gravity="0 0 0" density="0" viscosity="0">
    <flag contact="disable"/>
  </option>
  <visual>
    <global offwidth="1280" offheight="960"/>
    <quality shadowsize="0"/>
    <map znear="{znear:g}" zfar="{zfar:g}"/>
  </visual>
  <asset>
    <texture name="grid" type="2d" builtin="checker" width="256" height="256"
             rgb1="{rgb[0]}" rgb2="{rgb[1]}"/>
    <material name="{material}" texture="grid" texrepeat="{texrepeat:.6g} {texrepeat:.6g}"/>
  </asset>
  <worldbody>
    <light directional="true" pos="0 0 50" dir="0 0 -1"/>
    <geom name="floor" type="plane" size="{extent} {extent} 0.1" material="{material}"
          contype="0" conaffinity="0"/>
    {chain}
  </worldbody>{tendon_block}
  <actuator>{actuators}</actuator>
</mujoco>"""
